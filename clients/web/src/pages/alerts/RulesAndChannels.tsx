// The rule and channel editors: both tables with their create, edit, enable/disable, delete and test.
import { create } from "@bufbuild/protobuf";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { alerts } from "../../api/clients";
import { type Channel, type Rule, RuleSpecSchema, type TestChannelResponse } from "../../gen/zenith/v1/alert_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { Confirm } from "../../ui/Confirm";
import { Modal } from "../../ui/Modal";
import { durationText } from "../../ui/duration";
import { DeliveryAttempts, DeliveryBadge } from "./AlertDetail";
import { ChannelFormModal } from "./ChannelFormModal";
import { CHANNEL_KINDS, channelTarget } from "./channels";
import { RuleFormModal } from "./RuleFormModal";
import { conditionText, scopeText, severityOf } from "./rules";

type Editing<T> = { item?: T } | undefined;

function RuleRow(props: { rule: Rule; onEdit: () => void; onDelete: () => void }) {
  const spec = props.rule.spec ?? create(RuleSpecSchema);
  const severity = severityOf(spec.severity);
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => alerts.updateRule({ spec: { ...spec, disabled: !spec.disabled } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });
  return (
    <tr data-rule={spec.id}>
      <td className="mono">{spec.id}</td>
      <td className="alerts-condition" title={conditionText(spec)}>
        {conditionText(spec)}
      </td>
      <td className="alerts-scope" title={scopeText(spec)}>
        {scopeText(spec)}
      </td>
      <td>{durationText(Number(spec.pendingFor?.seconds ?? 0))}</td>
      <td>
        <Badge tone={severity.tone}>{severity.label}</Badge>
      </td>
      <td>{spec.channels.length ? spec.channels.join(", ") : <span className="muted">all</span>}</td>
      <td>
        {props.rule.firingAlerts ? <Badge tone="bad">{props.rule.firingAlerts} firing</Badge> : null}{" "}
        {props.rule.pendingAlerts ? <Badge tone="warn">{props.rule.pendingAlerts} pending</Badge> : null}
        {spec.disabled ? <Badge tone="muted">disabled</Badge> : null}
      </td>
      <td className="alerts-row-actions">
        <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
          {spec.disabled ? "Enable" : "Disable"}
        </button>
        <button type="button" onClick={props.onEdit}>
          Edit
        </button>
        <button type="button" className="ghost" onClick={props.onDelete}>
          Delete
        </button>
      </td>
    </tr>
  );
}

function RulesPanel() {
  const [editing, setEditing] = useState<Editing<Rule>>();
  const [deleting, setDeleting] = useState<string>();
  const queryClient = useQueryClient();
  const rules = useQuery({
    queryKey: ["alerts", "rules"],
    queryFn: () => alerts.listRules({ pageSize: 1000 }),
    refetchInterval: 5000,
  });
  const remove = useMutation({
    mutationFn: (id: string) => alerts.deleteRule({ id }),
    onSuccess: async () => {
      setDeleting(undefined);
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
    },
  });
  const rows = rules.data?.rules ?? [];
  return (
    <section className="panel" aria-label="Rules">
      <div className="alerts-toolbar">
        <h2>Rules</h2>
        <button type="button" className="primary" onClick={() => setEditing({})}>
          New rule
        </button>
      </div>
      <ErrorBox error={rules.error} />
      {rules.isPending ? (
        <Empty>Loading…</Empty>
      ) : rows.length === 0 ? (
        <Empty>No rules.</Empty>
      ) : (
        <table className="alerts-rules" aria-label="Rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Condition</th>
              <th>Scope</th>
              <th>For</th>
              <th>Severity</th>
              <th>Channels</th>
              <th>Alerts</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((rule) => (
              <RuleRow
                key={rule.spec?.id}
                rule={rule}
                onEdit={() => setEditing({ item: rule })}
                onDelete={() => setDeleting(rule.spec?.id)}
              />
            ))}
          </tbody>
        </table>
      )}
      {editing ? <RuleFormModal rule={editing.item} onClose={() => setEditing(undefined)} /> : null}
      {deleting ? (
        <Confirm
          title={`Delete rule ${deleting}?`}
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate(deleting)}
          onCancel={() => setDeleting(undefined)}
        >
          <p>Its open alerts resolve without a notification.</p>
          <ErrorBox error={remove.error} />
        </Confirm>
      ) : null}
    </section>
  );
}

function TestResultModal(props: { id: string; result: TestChannelResponse; onClose: () => void }) {
  const delivery = props.result.delivery;
  return (
    <Modal title={`Test of ${props.id}`} onClose={props.onClose} wide>
      {delivery ? (
        <div className="form" role="status">
          <div>
            Result: <DeliveryBadge state={delivery.state} />
          </div>
          <DeliveryAttempts delivery={delivery} />
        </div>
      ) : (
        <Empty>The server reported no delivery.</Empty>
      )}
    </Modal>
  );
}

function ChannelRow(props: { channel: Channel; onEdit: () => void; onDelete: () => void }) {
  const spec = props.channel.spec;
  const id = spec?.id ?? "";
  const [showResult, setShowResult] = useState(false);
  const test = useMutation({
    mutationFn: () => alerts.testChannel({ id }),
    onSettled: () => setShowResult(true),
  });
  const secrets = spec?.kind.case ? CHANNEL_KINDS[spec.kind.case].fields.filter((f) => f.secret) : [];
  return (
    <tr data-channel={id}>
      <td className="mono">{id}</td>
      <td>{channelTarget(spec)}</td>
      <td>
        {secrets.map((field) => (
          <span key={field.name} className="alerts-secret">
            {field.label.replace(" (optional)", "")}:{" "}
            {props.channel.secretsSet.includes(field.wireName) ? <Badge tone="ok">set</Badge> : <Badge>not set</Badge>}
          </span>
        ))}
      </td>
      <td>{spec?.minSeverity ? `${severityOf(spec.minSeverity).label}+` : "all"}</td>
      <td>{spec?.disabled ? <Badge tone="muted">disabled</Badge> : <Badge tone="ok">enabled</Badge>}</td>
      <td className="alerts-row-actions">
        <button type="button" disabled={test.isPending} onClick={() => test.mutate()}>
          {test.isPending ? "Testing…" : "Test"}
        </button>
        <button type="button" onClick={props.onEdit}>
          Edit
        </button>
        <button type="button" className="ghost" onClick={props.onDelete}>
          Delete
        </button>
        {showResult && test.data ? (
          <TestResultModal id={id} result={test.data} onClose={() => setShowResult(false)} />
        ) : null}
        {showResult && test.error ? (
          <Modal title={`Test of ${id}`} onClose={() => setShowResult(false)}>
            <ErrorBox error={test.error} />
          </Modal>
        ) : null}
      </td>
    </tr>
  );
}

function ChannelsPanel() {
  const [editing, setEditing] = useState<Editing<Channel>>();
  const [deleting, setDeleting] = useState<string>();
  const queryClient = useQueryClient();
  const channels = useQuery({
    queryKey: ["alerts", "channels"],
    queryFn: () => alerts.listChannels({ pageSize: 1000 }),
    refetchInterval: 10_000,
  });
  const remove = useMutation({
    mutationFn: (id: string) => alerts.deleteChannel({ id }),
    onSuccess: async () => {
      setDeleting(undefined);
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
    },
  });
  const rows = channels.data?.channels ?? [];
  return (
    <section className="panel" aria-label="Channels">
      <div className="alerts-toolbar">
        <h2>Channels</h2>
        <button type="button" className="primary" onClick={() => setEditing({})}>
          New channel
        </button>
      </div>
      <ErrorBox error={channels.error} />
      {channels.isPending ? (
        <Empty>Loading…</Empty>
      ) : rows.length === 0 ? (
        <Empty>No channels: alerts are listed here but sent nowhere.</Empty>
      ) : (
        <table aria-label="Channels">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Sends to</th>
              <th>Secrets</th>
              <th>Severity</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((channel) => (
              <ChannelRow
                key={channel.spec?.id}
                channel={channel}
                onEdit={() => setEditing({ item: channel })}
                onDelete={() => setDeleting(channel.spec?.id)}
              />
            ))}
          </tbody>
        </table>
      )}
      {editing ? <ChannelFormModal channel={editing.item} onClose={() => setEditing(undefined)} /> : null}
      {deleting ? (
        <Confirm
          title={`Delete channel ${deleting}?`}
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate(deleting)}
          onCancel={() => setDeleting(undefined)}
        >
          <p>Its pending deliveries fail. A channel a rule names cannot be deleted.</p>
          <ErrorBox error={remove.error} />
        </Confirm>
      ) : null}
    </section>
  );
}

export function RulesAndChannels() {
  return (
    <>
      <RulesPanel />
      <ChannelsPanel />
    </>
  );
}
