import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { alerts } from "../../api/clients";
import { AlertState, Severity } from "../../gen/zenith/v1/alert_pb";
import { Badge, ErrorBox } from "../../ui/common";
import { formatRelative, tsMillis } from "../../ui/format";

const SHOWN = 3;

const SEVERITY: Record<Severity, { tone: "bad" | "warn" | "info"; label: string }> = {
  [Severity.UNSPECIFIED]: { tone: "warn", label: "warning" },
  [Severity.INFO]: { tone: "info", label: "info" },
  [Severity.WARNING]: { tone: "warn", label: "warning" },
  [Severity.CRITICAL]: { tone: "bad", label: "critical" },
};

export function FiringAlerts() {
  const firing = useQuery({
    queryKey: ["overview", "firing-alerts"],
    queryFn: () => alerts.listAlerts({ states: [AlertState.FIRING], pageSize: 100 }),
    refetchInterval: 5000,
  });
  const list = firing.data?.alerts ?? [];
  const more = firing.data?.nextPageToken ? "100+" : String(list.length);
  return (
    <section className="panel" aria-label="Firing alerts">
      <div className="panel-head">
        <h2>
          Firing alerts{" "}
          <Badge tone={list.length > 0 ? "bad" : "ok"}>{firing.data ? more : "…"}</Badge>
        </h2>
        <Link to="/alerts">All alerts</Link>
      </div>
      <ErrorBox error={firing.error} />
      <ul className="alert-list">
        {list.slice(0, SHOWN).map((alert) => (
          <li key={alert.id}>
            <div className="alert-meta">
              <Badge tone={SEVERITY[alert.severity].tone}>{SEVERITY[alert.severity].label}</Badge>
              <span className="muted" title={`rule ${alert.ruleId}`}>
                fired {formatRelative(tsMillis(alert.firedAt))}
              </span>
            </div>
            <Link className="alert-summary" to="/alerts" title={alert.summary}>
              {alert.summary || alert.subject}
            </Link>
          </li>
        ))}
        {firing.data && list.length === 0 && <li className="muted">Nothing is firing.</li>}
      </ul>
      <div className="more">
        {list.length > SHOWN && <Link to="/alerts">and {list.length - SHOWN} more…</Link>}
      </div>
    </section>
  );
}
