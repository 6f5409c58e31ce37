import { useQuery } from "@tanstack/react-query";

import { queues } from "../../api/clients";
import { QueueSource } from "../../gen/zenith/v1/queue_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { durationMillis, formatCount, formatDuration, formatRelative, tsMillis } from "../../ui/format";

// Queues of other systems (Laravel, BullMQ, …) that nodes report in their beats. Zenith shows
// them and never changes them.
export function ExternalQueues(props: { now: number }) {
  const list = useQuery({
    queryKey: ["workers", "external-queues"],
    queryFn: () => queues.listQueues({ source: QueueSource.EXTERNAL, pageSize: 1000 }),
    refetchInterval: 5000,
  });
  const rows = list.data?.queues ?? [];
  return (
    <section className="panel" aria-label="External queues">
      <div className="service-head">
        <h2>External queues</h2>
        <span className="muted">reported by nodes; failed counts as dead</span>
      </div>
      <ErrorBox error={list.error} />
      {list.data && rows.length === 0 ? (
        <Empty>No node reports queues of other systems.</Empty>
      ) : (
        <table className="external">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Driver</th>
              <th>Connection</th>
              <th className="num">Pending</th>
              <th className="num">Active</th>
              <th className="num">Scheduled</th>
              <th className="num">Failed</th>
              <th className="num">Completed</th>
              <th className="num">Oldest</th>
              <th>Reported by</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((queue) => {
              const origin = queue.external;
              const key = `${origin?.driver}/${origin?.connection}/${queue.name}`;
              return (
                <tr key={key} data-external={queue.name}>
                  <td>
                    {queue.name}
                    {queue.paused && <Badge tone="warn">paused</Badge>}
                  </td>
                  <td data-testid="driver">{origin?.driver || "—"}</td>
                  <td>{origin?.connection || "—"}</td>
                  <td className="num" data-testid="pending">{formatCount(queue.counts?.pending)}</td>
                  <td className="num">{formatCount(queue.counts?.active)}</td>
                  <td className="num">{formatCount(queue.counts?.scheduled)}</td>
                  <td className="num" data-testid="failed">{formatCount(queue.counts?.dead)}</td>
                  <td className="num">{formatCount(queue.counts?.completed)}</td>
                  <td className="num">{formatDuration(durationMillis(queue.oldestPendingAge))}</td>
                  <td title={origin?.reportedBy}>
                    <span className="mono" data-testid="reported-by">{origin?.reportedBy || "—"}</span>{" "}
                    <span className="sub">{formatRelative(tsMillis(origin?.reportedAt), props.now)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
