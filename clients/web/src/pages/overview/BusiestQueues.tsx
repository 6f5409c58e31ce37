import { Link } from "react-router";

import type { WatchQueuesResponse } from "../../gen/zenith/v1/queue_pb";
import { Badge } from "../../ui/common";
import { formatCount, formatRate } from "../../ui/format";
import { busiestQueues } from "./metrics";

const SHOWN = 6;

// The unit is in the column header.
function perSecond(rate: number | undefined): string {
  return formatRate(rate).replace(/\/s$/, "");
}

// Always SHOWN rows, blank ones included, so the panel keeps its height as queues come and go.
export function BusiestQueues(props: { latest: WatchQueuesResponse | undefined }) {
  const rows = busiestQueues(props.latest?.queues ?? [], SHOWN);
  const blanks = Array.from({ length: SHOWN - rows.length }, (_, i) => i);
  return (
    <section className="panel" aria-label="Busiest queues">
      <div className="panel-head">
        <h2>Busiest queues</h2>
        <Link to="/queues">All queues</Link>
      </div>
      <table className="busiest">
        <thead>
          <tr>
            <th>Queue</th>
            <th className="num">Pending</th>
            <th className="num">Active</th>
            <th className="num" title="Enqueued per second">In/s</th>
            <th className="num" title="Completed per second">Done/s</th>
            <th className="num" title="Failed attempts per second">Fail/s</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ queue, rates }) => {
            const name = queue?.name ?? "";
            return (
              <tr key={name} data-queue={name}>
                <td>
                  <Link to={`/queues/${encodeURIComponent(name)}`}>{name}</Link>
                  {queue?.paused && <Badge tone="warn">paused</Badge>}
                </td>
                <td className="num" data-testid="pending">{formatCount(queue?.counts?.pending)}</td>
                <td className="num">{formatCount(queue?.counts?.active)}</td>
                <td className="num">{perSecond(rates?.enqueued)}</td>
                <td className="num">{perSecond(rates?.completed)}</td>
                <td className="num">{perSecond(rates?.failed)}</td>
              </tr>
            );
          })}
          {blanks.map((i) => (
            <tr key={`blank-${i}`} className="blank" aria-hidden="true">
              <td colSpan={6}>{i === 0 && rows.length === 0 ? "No queues yet" : "\u00a0"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
