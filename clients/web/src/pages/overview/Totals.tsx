import type { QueueCounts, WatchQueuesResponse } from "../../gen/zenith/v1/queue_pb";
import { ErrorBox } from "../../ui/common";
import { formatCount, formatPercent, formatRate } from "../../ui/format";
import { failureRate } from "./metrics";

const STATES: { key: keyof Omit<QueueCounts, "$typeName" | "$unknown">; label: string }[] = [
  { key: "pending", label: "Pending" },
  { key: "scheduled", label: "Scheduled" },
  { key: "active", label: "Active" },
  { key: "retry", label: "Retry" },
  { key: "dead", label: "Dead" },
  { key: "completed", label: "Completed" },
  { key: "cancelled", label: "Cancelled" },
];

function Stat(props: { label: string; value: string; testId: string }) {
  return (
    <div className="stat" data-testid={props.testId}>
      <div className="label">{props.label}</div>
      <div className="value">{props.value}</div>
    </div>
  );
}

// Jobs per state over every queue, and what the queues do per second right now.
export function Totals(props: { latest: WatchQueuesResponse | undefined; error: string | undefined }) {
  const totals = props.latest?.totals;
  const rates = props.latest?.totalRates;
  return (
    <section aria-label="Totals">
      {props.error && <ErrorBox error={props.error} />}
      <div className="overview-rates">
        <Stat testId="rate-completed" label="Throughput" value={formatRate(rates?.completed)} />
        <Stat testId="rate-enqueued" label="Enqueued" value={formatRate(rates?.enqueued)} />
        <Stat testId="rate-failed" label="Failed" value={formatRate(rates?.failed)} />
        <Stat testId="failure-rate" label="Failure rate" value={formatPercent(failureRate(rates))} />
      </div>
      <div className="overview-states panel" aria-label="Jobs by state">
        {STATES.map((state) => (
          <div key={state.key} className="state" data-testid={`total-${state.key}`}>
            <div className="label">{state.label}</div>
            <div className="value">{formatCount(totals?.[state.key])}</div>
          </div>
        ))}
      </div>
    </section>
  );
}
