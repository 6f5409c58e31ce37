import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class NodeResource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_RESOURCE_UNSPECIFIED: _ClassVar[NodeResource]
    NODE_RESOURCE_CPU: _ClassVar[NodeResource]
    NODE_RESOURCE_MEMORY: _ClassVar[NodeResource]
    NODE_RESOURCE_DISK: _ClassVar[NodeResource]

class RuleOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RULE_ORIGIN_UNSPECIFIED: _ClassVar[RuleOrigin]
    RULE_ORIGIN_DEFAULT: _ClassVar[RuleOrigin]
    RULE_ORIGIN_USER: _ClassVar[RuleOrigin]

class SmtpSecurity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SMTP_SECURITY_UNSPECIFIED: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_NONE: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_STARTTLS: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_TLS: _ClassVar[SmtpSecurity]

class AlertState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATE_UNSPECIFIED: _ClassVar[AlertState]
    ALERT_STATE_PENDING: _ClassVar[AlertState]
    ALERT_STATE_FIRING: _ClassVar[AlertState]
    ALERT_STATE_RESOLVED: _ClassVar[AlertState]

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_FIRING: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_RESOLVED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_REPEAT: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_TEST: _ClassVar[NotificationKind]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_DELIVERED: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]

class SilenceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SILENCE_STATE_UNSPECIFIED: _ClassVar[SilenceState]
    SILENCE_STATE_PENDING: _ClassVar[SilenceState]
    SILENCE_STATE_ACTIVE: _ClassVar[SilenceState]
    SILENCE_STATE_EXPIRED: _ClassVar[SilenceState]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_CRITICAL: Severity
NODE_RESOURCE_UNSPECIFIED: NodeResource
NODE_RESOURCE_CPU: NodeResource
NODE_RESOURCE_MEMORY: NodeResource
NODE_RESOURCE_DISK: NodeResource
RULE_ORIGIN_UNSPECIFIED: RuleOrigin
RULE_ORIGIN_DEFAULT: RuleOrigin
RULE_ORIGIN_USER: RuleOrigin
SMTP_SECURITY_UNSPECIFIED: SmtpSecurity
SMTP_SECURITY_NONE: SmtpSecurity
SMTP_SECURITY_STARTTLS: SmtpSecurity
SMTP_SECURITY_TLS: SmtpSecurity
ALERT_STATE_UNSPECIFIED: AlertState
ALERT_STATE_PENDING: AlertState
ALERT_STATE_FIRING: AlertState
ALERT_STATE_RESOLVED: AlertState
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_FIRING: NotificationKind
NOTIFICATION_KIND_RESOLVED: NotificationKind
NOTIFICATION_KIND_REPEAT: NotificationKind
NOTIFICATION_KIND_TEST: NotificationKind
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_DELIVERED: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState
SILENCE_STATE_UNSPECIFIED: SilenceState
SILENCE_STATE_PENDING: SilenceState
SILENCE_STATE_ACTIVE: SilenceState
SILENCE_STATE_EXPIRED: SilenceState

class BacklogCondition(_message.Message):
    __slots__ = ("above",)
    ABOVE_FIELD_NUMBER: _ClassVar[int]
    above: int
    def __init__(self, above: _Optional[int] = ...) -> None: ...

class OldestPendingCondition(_message.Message):
    __slots__ = ("above",)
    ABOVE_FIELD_NUMBER: _ClassVar[int]
    above: _duration_pb2.Duration
    def __init__(self, above: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class FailureRateCondition(_message.Message):
    __slots__ = ("above_percent", "window", "min_volume")
    ABOVE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    MIN_VOLUME_FIELD_NUMBER: _ClassVar[int]
    above_percent: float
    window: _duration_pb2.Duration
    min_volume: int
    def __init__(self, above_percent: _Optional[float] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., min_volume: _Optional[int] = ...) -> None: ...

class DeadGrowthCondition(_message.Message):
    __slots__ = ("above", "window")
    ABOVE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    above: int
    window: _duration_pb2.Duration
    def __init__(self, above: _Optional[int] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class HealthyNodesCondition(_message.Message):
    __slots__ = ("below",)
    BELOW_FIELD_NUMBER: _ClassVar[int]
    below: int
    def __init__(self, below: _Optional[int] = ...) -> None: ...

class NodeLostCondition(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NodeResourceCondition(_message.Message):
    __slots__ = ("resource", "above_percent")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ABOVE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    resource: NodeResource
    above_percent: float
    def __init__(self, resource: _Optional[_Union[NodeResource, str]] = ..., above_percent: _Optional[float] = ...) -> None: ...

class ScheduleMissedCondition(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScheduleFailingCondition(_message.Message):
    __slots__ = ("consecutive",)
    CONSECUTIVE_FIELD_NUMBER: _ClassVar[int]
    consecutive: int
    def __init__(self, consecutive: _Optional[int] = ...) -> None: ...

class ArchiveLagCondition(_message.Message):
    __slots__ = ("above",)
    ABOVE_FIELD_NUMBER: _ClassVar[int]
    above: _duration_pb2.Duration
    def __init__(self, above: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RuleSpec(_message.Message):
    __slots__ = ("id", "description", "severity", "labels", "queue", "service", "schedule", "pending_for", "repeat_interval", "channels", "disabled", "backlog", "oldest_pending", "failure_rate", "dead_growth", "healthy_nodes", "node_lost", "node_resource", "schedule_missed", "schedule_failing", "archive_lag")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    PENDING_FOR_FIELD_NUMBER: _ClassVar[int]
    REPEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    DEAD_GROWTH_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_NODES_FIELD_NUMBER: _ClassVar[int]
    NODE_LOST_FIELD_NUMBER: _ClassVar[int]
    NODE_RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_MISSED_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FAILING_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_LAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    description: str
    severity: Severity
    labels: _containers.ScalarMap[str, str]
    queue: str
    service: str
    schedule: str
    pending_for: _duration_pb2.Duration
    repeat_interval: _duration_pb2.Duration
    channels: _containers.RepeatedScalarFieldContainer[str]
    disabled: bool
    backlog: BacklogCondition
    oldest_pending: OldestPendingCondition
    failure_rate: FailureRateCondition
    dead_growth: DeadGrowthCondition
    healthy_nodes: HealthyNodesCondition
    node_lost: NodeLostCondition
    node_resource: NodeResourceCondition
    schedule_missed: ScheduleMissedCondition
    schedule_failing: ScheduleFailingCondition
    archive_lag: ArchiveLagCondition
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., queue: _Optional[str] = ..., service: _Optional[str] = ..., schedule: _Optional[str] = ..., pending_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., repeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., channels: _Optional[_Iterable[str]] = ..., disabled: _Optional[bool] = ..., backlog: _Optional[_Union[BacklogCondition, _Mapping]] = ..., oldest_pending: _Optional[_Union[OldestPendingCondition, _Mapping]] = ..., failure_rate: _Optional[_Union[FailureRateCondition, _Mapping]] = ..., dead_growth: _Optional[_Union[DeadGrowthCondition, _Mapping]] = ..., healthy_nodes: _Optional[_Union[HealthyNodesCondition, _Mapping]] = ..., node_lost: _Optional[_Union[NodeLostCondition, _Mapping]] = ..., node_resource: _Optional[_Union[NodeResourceCondition, _Mapping]] = ..., schedule_missed: _Optional[_Union[ScheduleMissedCondition, _Mapping]] = ..., schedule_failing: _Optional[_Union[ScheduleFailingCondition, _Mapping]] = ..., archive_lag: _Optional[_Union[ArchiveLagCondition, _Mapping]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("spec", "origin", "created_at", "updated_at", "pending_alerts", "firing_alerts")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PENDING_ALERTS_FIELD_NUMBER: _ClassVar[int]
    FIRING_ALERTS_FIELD_NUMBER: _ClassVar[int]
    spec: RuleSpec
    origin: RuleOrigin
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    pending_alerts: int
    firing_alerts: int
    def __init__(self, spec: _Optional[_Union[RuleSpec, _Mapping]] = ..., origin: _Optional[_Union[RuleOrigin, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_alerts: _Optional[int] = ..., firing_alerts: _Optional[int] = ...) -> None: ...

class SlackChannel(_message.Message):
    __slots__ = ("webhook_url",)
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    def __init__(self, webhook_url: _Optional[str] = ...) -> None: ...

class DiscordChannel(_message.Message):
    __slots__ = ("webhook_url",)
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    def __init__(self, webhook_url: _Optional[str] = ...) -> None: ...

class WebhookChannel(_message.Message):
    __slots__ = ("url", "signing_secret")
    URL_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    url: str
    signing_secret: str
    def __init__(self, url: _Optional[str] = ..., signing_secret: _Optional[str] = ...) -> None: ...

class PagerDutyChannel(_message.Message):
    __slots__ = ("routing_key", "events_url")
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_URL_FIELD_NUMBER: _ClassVar[int]
    routing_key: str
    events_url: str
    def __init__(self, routing_key: _Optional[str] = ..., events_url: _Optional[str] = ...) -> None: ...

class EmailChannel(_message.Message):
    __slots__ = ("smtp_host", "smtp_port", "security", "username", "password", "to")
    SMTP_HOST_FIELD_NUMBER: _ClassVar[int]
    SMTP_PORT_FIELD_NUMBER: _ClassVar[int]
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    smtp_host: str
    smtp_port: int
    security: SmtpSecurity
    username: str
    password: str
    to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, smtp_host: _Optional[str] = ..., smtp_port: _Optional[int] = ..., security: _Optional[_Union[SmtpSecurity, str]] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., to: _Optional[_Iterable[str]] = ..., **kwargs) -> None: ...

class ChannelSpec(_message.Message):
    __slots__ = ("id", "description", "disabled", "min_severity", "slack", "discord", "webhook", "pagerduty", "email")
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    MIN_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SLACK_FIELD_NUMBER: _ClassVar[int]
    DISCORD_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    PAGERDUTY_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    description: str
    disabled: bool
    min_severity: Severity
    slack: SlackChannel
    discord: DiscordChannel
    webhook: WebhookChannel
    pagerduty: PagerDutyChannel
    email: EmailChannel
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., disabled: _Optional[bool] = ..., min_severity: _Optional[_Union[Severity, str]] = ..., slack: _Optional[_Union[SlackChannel, _Mapping]] = ..., discord: _Optional[_Union[DiscordChannel, _Mapping]] = ..., webhook: _Optional[_Union[WebhookChannel, _Mapping]] = ..., pagerduty: _Optional[_Union[PagerDutyChannel, _Mapping]] = ..., email: _Optional[_Union[EmailChannel, _Mapping]] = ...) -> None: ...

class Channel(_message.Message):
    __slots__ = ("spec", "secrets_set", "created_at", "updated_at")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    SECRETS_SET_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    spec: ChannelSpec
    secrets_set: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, spec: _Optional[_Union[ChannelSpec, _Mapping]] = ..., secrets_set: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "rule_id", "state", "severity", "subject", "labels", "summary", "value", "pending_since", "fired_at", "resolved_at", "acknowledged_at", "acknowledged_by", "acknowledge_comment", "silenced", "last_notified_at")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PENDING_SINCE_FIELD_NUMBER: _ClassVar[int]
    FIRED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_COMMENT_FIELD_NUMBER: _ClassVar[int]
    SILENCED_FIELD_NUMBER: _ClassVar[int]
    LAST_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule_id: str
    state: AlertState
    severity: Severity
    subject: str
    labels: _containers.ScalarMap[str, str]
    summary: str
    value: float
    pending_since: _timestamp_pb2.Timestamp
    fired_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    acknowledged_at: _timestamp_pb2.Timestamp
    acknowledged_by: str
    acknowledge_comment: str
    silenced: bool
    last_notified_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., rule_id: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., severity: _Optional[_Union[Severity, str]] = ..., subject: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., summary: _Optional[str] = ..., value: _Optional[float] = ..., pending_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_by: _Optional[str] = ..., acknowledge_comment: _Optional[str] = ..., silenced: _Optional[bool] = ..., last_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("at", "status_code", "error", "took")
    AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TOOK_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    status_code: int
    error: str
    took: _duration_pb2.Duration
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_code: _Optional[int] = ..., error: _Optional[str] = ..., took: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("channel_id", "state", "idempotency_key", "next_attempt_at", "delivered_at", "attempts")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    state: DeliveryState
    idempotency_key: str
    next_attempt_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    def __init__(self, channel_id: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., idempotency_key: _Optional[str] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("id", "rule_id", "kind", "severity", "alert_ids", "title", "created_at", "deliveries")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ALERT_IDS_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule_id: str
    kind: NotificationKind
    severity: Severity
    alert_ids: _containers.RepeatedScalarFieldContainer[str]
    title: str
    created_at: _timestamp_pb2.Timestamp
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    def __init__(self, id: _Optional[str] = ..., rule_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., severity: _Optional[_Union[Severity, str]] = ..., alert_ids: _Optional[_Iterable[str]] = ..., title: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ...) -> None: ...

class SilenceSpec(_message.Message):
    __slots__ = ("rule_id", "queue", "service", "starts_at", "ends_at", "duration", "comment", "author")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    queue: str
    service: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    comment: str
    author: str
    def __init__(self, rule_id: _Optional[str] = ..., queue: _Optional[str] = ..., service: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., comment: _Optional[str] = ..., author: _Optional[str] = ...) -> None: ...

class Silence(_message.Message):
    __slots__ = ("id", "spec", "state", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    spec: SilenceSpec
    state: SilenceState
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., spec: _Optional[_Union[SilenceSpec, _Mapping]] = ..., state: _Optional[_Union[SilenceState, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateRuleRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: RuleSpec
    def __init__(self, spec: _Optional[_Union[RuleSpec, _Mapping]] = ...) -> None: ...

class CreateRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: Rule
    def __init__(self, rule: _Optional[_Union[Rule, _Mapping]] = ...) -> None: ...

class UpdateRuleRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: RuleSpec
    def __init__(self, spec: _Optional[_Union[RuleSpec, _Mapping]] = ...) -> None: ...

class UpdateRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: Rule
    def __init__(self, rule: _Optional[_Union[Rule, _Mapping]] = ...) -> None: ...

class DeleteRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: Rule
    def __init__(self, rule: _Optional[_Union[Rule, _Mapping]] = ...) -> None: ...

class ListRulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRulesResponse(_message.Message):
    __slots__ = ("rules", "next_page_token")
    RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    next_page_token: str
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateChannelRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: ChannelSpec
    def __init__(self, spec: _Optional[_Union[ChannelSpec, _Mapping]] = ...) -> None: ...

class CreateChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class UpdateChannelRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: ChannelSpec
    def __init__(self, spec: _Optional[_Union[ChannelSpec, _Mapping]] = ...) -> None: ...

class UpdateChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class DeleteChannelRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteChannelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetChannelRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class ListChannelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChannelsResponse(_message.Message):
    __slots__ = ("channels", "next_page_token")
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[Channel]
    next_page_token: str
    def __init__(self, channels: _Optional[_Iterable[_Union[Channel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TestChannelRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TestChannelResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("states", "rule_id", "queue", "service", "since", "page_size", "page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[AlertState]
    rule_id: str
    queue: str
    service: str
    since: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[AlertState, str]]] = ..., rule_id: _Optional[str] = ..., queue: _Optional[str] = ..., service: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    next_page_token: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAlertRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetAlertResponse(_message.Message):
    __slots__ = ("alert", "notifications")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    alert: Alert
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    def __init__(self, alert: _Optional[_Union[Alert, _Mapping]] = ..., notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ...) -> None: ...

class AcknowledgeAlertRequest(_message.Message):
    __slots__ = ("id", "comment")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    comment: str
    def __init__(self, id: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class AcknowledgeAlertResponse(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: Alert
    def __init__(self, alert: _Optional[_Union[Alert, _Mapping]] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("rule_id", "alert_id", "page_size", "page_token")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    alert_id: str
    page_size: int
    page_token: str
    def __init__(self, rule_id: _Optional[str] = ..., alert_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateSilenceRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: SilenceSpec
    def __init__(self, spec: _Optional[_Union[SilenceSpec, _Mapping]] = ...) -> None: ...

class CreateSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: Silence
    def __init__(self, silence: _Optional[_Union[Silence, _Mapping]] = ...) -> None: ...

class ListSilencesRequest(_message.Message):
    __slots__ = ("include_expired", "page_size", "page_token")
    INCLUDE_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    include_expired: bool
    page_size: int
    page_token: str
    def __init__(self, include_expired: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSilencesResponse(_message.Message):
    __slots__ = ("silences", "next_page_token")
    SILENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    silences: _containers.RepeatedCompositeFieldContainer[Silence]
    next_page_token: str
    def __init__(self, silences: _Optional[_Iterable[_Union[Silence, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ExpireSilenceRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ExpireSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: Silence
    def __init__(self, silence: _Optional[_Union[Silence, _Mapping]] = ...) -> None: ...
