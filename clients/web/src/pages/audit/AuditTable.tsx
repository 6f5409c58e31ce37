import { Fragment, useState } from "react";

import { roleName } from "../../api/roles";
import type { AuditEvent } from "../../gen/zenith/v1/admin_pb";
import { Badge } from "../../ui/common";
import { JsonView } from "../../ui/JsonView";
import { formatTime, tsMillis } from "../../ui/format";
import { shortMethod } from "./audit";

// Audit events, newest first; a row opens to show the request the call carried. Everything
// in an event came from a caller, so all of it is rendered as text.
export function AuditTable({ events }: { events: AuditEvent[] }) {
  const [open, setOpen] = useState<Set<bigint>>(new Set());
  const toggle = (id: bigint) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  return (
    <table className="audit-table">
      <colgroup>
        <col className="audit-col-toggle" />
        <col className="audit-col-time" />
        <col className="audit-col-principal" />
        <col className="audit-col-role" />
        <col className="audit-col-method" />
        <col className="audit-col-target" />
        <col className="audit-col-code" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th />
          <th>Time</th>
          <th>Principal</th>
          <th>Role</th>
          <th>Method</th>
          <th>Target</th>
          <th>Code</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => {
          const expanded = open.has(event.id);
          const failed = event.code !== "OK";
          return (
            <Fragment key={String(event.id)}>
              <tr className={failed ? "audit-row failed" : "audit-row"} onClick={() => toggle(event.id)}>
                <td>
                  <button
                    type="button"
                    className="ghost audit-toggle"
                    aria-expanded={expanded}
                    aria-label={expanded ? "Hide the request" : "Show the request"}
                    onClick={(e) => {
                      e.stopPropagation();
                      toggle(event.id);
                    }}
                  >
                    {expanded ? "▾" : "▸"}
                  </button>
                </td>
                <td className="mono" title={formatTime(tsMillis(event.time))}>
                  {formatTime(tsMillis(event.time)).slice(5)}
                </td>
                <td className="audit-cell" title={`${event.principal} ${event.keyName}`.trim()}>
                  <span className="mono">{event.principal}</span>
                  {event.keyName && <div className="muted audit-key-name">{event.keyName}</div>}
                </td>
                <td>{roleName(event.role)}</td>
                <td className="mono audit-cell" title={event.rpc}>
                  {shortMethod(event.rpc)}
                </td>
                <td className="mono audit-cell" title={event.target}>
                  {event.target || <span className="muted">—</span>}
                </td>
                <td>
                  <Badge tone={failed ? "bad" : "muted"}>{event.code}</Badge>
                </td>
                <td className="audit-cell" title={event.message}>
                  {event.message}
                </td>
              </tr>
              {expanded && (
                <tr className="audit-detail">
                  <td />
                  <td colSpan={7}>
                    <dl className="audit-facts">
                      <dt>Method</dt>
                      <dd className="mono">{event.rpc}</dd>
                      <dt>Peer</dt>
                      <dd className="mono">{event.peer || "—"}</dd>
                      {event.message && (
                        <>
                          <dt>Message</dt>
                          <dd>{event.message}</dd>
                        </>
                      )}
                      <dt>Request</dt>
                      <dd data-testid="audit-request">
                        {event.request ? (
                          <JsonView text={event.request} />
                        ) : (
                          <span className="muted">none recorded (refused before it was read, or nothing to record)</span>
                        )}
                      </dd>
                    </dl>
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
