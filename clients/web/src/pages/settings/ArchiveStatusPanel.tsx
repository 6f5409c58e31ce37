import { useQuery } from "@tanstack/react-query";

import { archive } from "../../api/clients";
import type { QueueArchiveLag } from "../../gen/zenith/v1/archive_pb";
import { Empty, ErrorBox } from "../../ui/common";
import { durationMillis, formatCount, formatDuration, formatRelative, tsMillis } from "../../ui/format";

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}

// Queues come and go as the archiver catches up, so the list sits in a fixed-height box and
// the panels below never jump.
function LagTable({ queues }: { queues: QueueArchiveLag[] }) {
  return (
    <div className="settings-lag">
      {queues.length === 0 ? (
        <Empty>No events waiting: the archive has caught up with Redis.</Empty>
      ) : (
        <table className="settings-table">
          <thead>
            <tr>
              <th>Queue</th>
              <th className="num">Events waiting</th>
              <th>Oldest</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((lag) => (
              <tr key={lag.queue}>
                <td className="mono">{lag.queue}</td>
                <td className="num">{formatCount(lag.pendingEvents)}</td>
                <td>{formatRelative(tsMillis(lag.oldestPending))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

// How far the archive is behind Redis: events recorded live and not yet committed to SQL.
export function ArchiveStatusPanel() {
  const status = useQuery({
    queryKey: ["archive", "status"],
    queryFn: () => archive.getArchiveStatus({}),
    refetchInterval: 5000,
  });
  return (
    <section className="panel" aria-label="Archive status">
      <h2>Archive</h2>
      <ErrorBox error={status.error} />
      {status.data ? (
        <>
          <div className="grid">
            <Stat label="Backend" value={status.data.backend || "—"} />
            <Stat label="Archived jobs" value={formatCount(status.data.archivedJobs)} />
            <Stat label="Events waiting" value={formatCount(status.data.pendingEvents)} />
            <Stat label="Lag" value={status.data.lag ? formatDuration(durationMillis(status.data.lag)) : "none"} />
          </div>
          <LagTable queues={status.data.queues} />
        </>
      ) : (
        !status.error && <Empty>Loading…</Empty>
      )}
    </section>
  );
}
