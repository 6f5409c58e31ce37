// One alert with its notifications and every delivery attempt.
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { alerts } from "../../api/clients";
import { type Delivery, DeliveryState, type Notification, NotificationKind } from "../../gen/zenith/v1/alert_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { durationMillis, formatDuration, formatTime, tsMillis } from "../../ui/format";
import { Modal } from "../../ui/Modal";
import { severityOf } from "./rules";
import { Subject } from "./Subject";

const KIND: Record<NotificationKind, string> = {
  [NotificationKind.UNSPECIFIED]: "—",
  [NotificationKind.FIRING]: "firing",
  [NotificationKind.RESOLVED]: "resolved",
  [NotificationKind.REPEAT]: "reminder",
  [NotificationKind.TEST]: "test",
};

export function DeliveryBadge({ state }: { state: DeliveryState }) {
  if (state === DeliveryState.DELIVERED) return <Badge tone="ok">delivered</Badge>;
  if (state === DeliveryState.FAILED) return <Badge tone="bad">failed</Badge>;
  return <Badge tone="warn">pending</Badge>;
}

export function DeliveryAttempts({ delivery }: { delivery: Delivery }) {
  return (
    <table className="alerts-attempts" aria-label={`Attempts to ${delivery.channelId}`}>
      <thead>
        <tr>
          <th>At</th>
          <th className="num">Status</th>
          <th className="num">Took</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {delivery.attempts.map((attempt, index) => (
          <tr key={index}>
            <td>{formatTime(tsMillis(attempt.at))}</td>
            <td className="num">{attempt.statusCode || "—"}</td>
            <td className="num">{formatDuration(durationMillis(attempt.took))}</td>
            <td className="alerts-error" title={attempt.error}>
              {attempt.error || "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NotificationBlock({ notification }: { notification: Notification }) {
  return (
    <section className="alerts-notification">
      <h3>
        {notification.title} <span className="muted">{KIND[notification.kind]}, {formatTime(tsMillis(notification.createdAt))}</span>
      </h3>
      {notification.deliveries.length === 0 ? <p className="muted">No channel to deliver to.</p> : null}
      {notification.deliveries.map((delivery) => (
        <div key={delivery.channelId} className="alerts-delivery">
          <div>
            <span className="mono">{delivery.channelId}</span> <DeliveryBadge state={delivery.state} />
          </div>
          <DeliveryAttempts delivery={delivery} />
        </div>
      ))}
    </section>
  );
}

function Fact(props: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

export function AlertDetailModal(props: { id: string; onClose: () => void }) {
  const detail = useQuery({
    queryKey: ["alerts", "detail", props.id],
    queryFn: () => alerts.getAlert({ id: props.id }),
    refetchInterval: 3000,
  });
  const alert = detail.data?.alert;
  const notifications = detail.data?.notifications ?? [];
  return (
    <Modal title="Alert" onClose={props.onClose} wide>
      <ErrorBox error={detail.error} />
      {alert ? (
        <>
          <p>{alert.summary}</p>
          <dl className="alerts-facts">
            <Fact label="Rule">{alert.ruleId}</Fact>
            <Fact label="Subject">
              <Subject subject={alert.subject} />
            </Fact>
            <Fact label="Severity">{severityOf(alert.severity).label}</Fact>
            <Fact label="Value">{alert.value}</Fact>
            <Fact label="Pending since">{formatTime(tsMillis(alert.pendingSince))}</Fact>
            <Fact label="Fired">{formatTime(tsMillis(alert.firedAt))}</Fact>
            <Fact label="Resolved">{formatTime(tsMillis(alert.resolvedAt))}</Fact>
            <Fact label="Acknowledged">
              {alert.acknowledgedAt
                ? `${formatTime(tsMillis(alert.acknowledgedAt))} by ${alert.acknowledgedBy || "—"}${alert.acknowledgeComment ? `: ${alert.acknowledgeComment}` : ""}`
                : "no"}
            </Fact>
          </dl>
          <div className="alerts-labels" aria-label="Labels">
            {Object.entries(alert.labels).map(([key, value]) => (
              <span key={key} className="badge muted mono">
                {key}={value}
              </span>
            ))}
          </div>
          <h2>Notifications</h2>
          <div className="alerts-notifications">
            {notifications.length === 0 ? <Empty>No notifications yet.</Empty> : null}
            {notifications.map((notification) => (
              <NotificationBlock key={notification.id} notification={notification} />
            ))}
          </div>
        </>
      ) : (
        <Empty>Loading…</Empty>
      )}
    </Modal>
  );
}
