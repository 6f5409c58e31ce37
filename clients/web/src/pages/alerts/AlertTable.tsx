// Open (pending and firing) or resolved alerts, with acknowledge and details.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { alerts } from "../../api/clients";
import { type Alert, AlertState } from "../../gen/zenith/v1/alert_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { formatRelative, formatTime, tsMillis } from "../../ui/format";
import { Modal } from "../../ui/Modal";
import { useNow } from "../../ui/useNow";
import { AlertDetailModal } from "./AlertDetail";
import { severityOf } from "./rules";
import { Subject } from "./Subject";

function StateBadge({ state }: { state: AlertState }) {
  if (state === AlertState.FIRING) return <Badge tone="bad">firing</Badge>;
  if (state === AlertState.PENDING) return <Badge tone="warn">pending</Badge>;
  return <Badge tone="ok">resolved</Badge>;
}

function AckModal(props: { alert: Alert; onClose: () => void }) {
  const [comment, setComment] = useState("");
  const queryClient = useQueryClient();
  const ack = useMutation({
    mutationFn: () => alerts.acknowledgeAlert({ id: props.alert.id, comment: comment.trim() }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
      props.onClose();
    },
  });
  return (
    <Modal title="Acknowledge alert" onClose={props.onClose}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          ack.mutate();
        }}
      >
        <p>{props.alert.summary}</p>
        <p className="muted">No more reminders; the resolve is still notified.</p>
        <label>
          Comment (optional)
          <input value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        <ErrorBox error={ack.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={ack.isPending}>
            Acknowledge
          </button>
        </div>
      </form>
    </Modal>
  );
}

function AlertRow(props: { alert: Alert; resolved: boolean; now: number; onAck: () => void; onOpen: () => void }) {
  const { alert, now } = props;
  const severity = severityOf(alert.severity);
  const since = tsMillis(props.resolved ? alert.resolvedAt : (alert.firedAt ?? alert.pendingSince));
  return (
    <tr data-alert={alert.id}>
      <td>
        <StateBadge state={alert.state} />
      </td>
      <td>
        <Badge tone={severity.tone}>{severity.label}</Badge>
      </td>
      <td className="mono">{alert.ruleId}</td>
      <td>
        <Subject subject={alert.subject} />
      </td>
      <td className="alerts-summary" title={alert.summary}>
        {alert.summary}
      </td>
      <td title={formatTime(since)}>{formatRelative(since, now)}</td>
      <td className="alerts-flags">
        {alert.acknowledgedAt ? (
          <span title={alert.acknowledgeComment}>
            <Badge tone="info">acked</Badge>
          </span>
        ) : null}
        {alert.silenced ? <Badge tone="muted">silenced</Badge> : null}
      </td>
      <td className="alerts-row-actions">
        {!props.resolved && !alert.acknowledgedAt ? (
          <button type="button" onClick={props.onAck}>
            Ack
          </button>
        ) : null}
        <button type="button" onClick={props.onOpen}>
          Details
        </button>
      </td>
    </tr>
  );
}

export function AlertTable({ resolved }: { resolved: boolean }) {
  const now = useNow(1000);
  const [acking, setAcking] = useState<Alert>();
  const [openId, setOpenId] = useState<string>();
  const list = useQuery({
    queryKey: ["alerts", "list", resolved ? "resolved" : "open"],
    queryFn: () =>
      alerts.listAlerts({
        states: resolved ? [AlertState.RESOLVED] : [AlertState.PENDING, AlertState.FIRING],
        pageSize: 200,
      }),
    refetchInterval: 3000,
  });
  const rows = list.data?.alerts ?? [];
  return (
    <div className="panel">
      <ErrorBox error={list.error} />
      {list.isPending ? (
        <Empty>Loading…</Empty>
      ) : rows.length === 0 ? (
        <Empty>{resolved ? "No resolved alerts." : "Nothing is firing or pending."}</Empty>
      ) : (
        <table className="alerts-table" aria-label={resolved ? "Resolved alerts" : "Open alerts"}>
          <thead>
            <tr>
              <th>State</th>
              <th>Severity</th>
              <th>Rule</th>
              <th>Subject</th>
              <th>Summary</th>
              <th>{resolved ? "Resolved" : "Since"}</th>
              <th />
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((alert) => (
              <AlertRow
                key={alert.id}
                alert={alert}
                resolved={resolved}
                now={now}
                onAck={() => setAcking(alert)}
                onOpen={() => setOpenId(alert.id)}
              />
            ))}
          </tbody>
        </table>
      )}
      {acking ? <AckModal alert={acking} onClose={() => setAcking(undefined)} /> : null}
      {openId ? <AlertDetailModal id={openId} onClose={() => setOpenId(undefined)} /> : null}
    </div>
  );
}
