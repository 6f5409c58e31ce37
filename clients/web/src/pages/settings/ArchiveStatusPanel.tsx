import { useQuery } from "@tanstack/react-query";

import { archive } from "../../api/clients";
import { Empty, ErrorBox } from "../../ui/common";
import { durationMillis, formatCount, formatDuration, formatRelative, tsMillis } from "../../ui/format";

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
            <div className="stat">
              <div className="label">Backend</div>
              <div className="value">{status.data.backend || "—"}</div>
            </div>
            <div className="stat">
              <div className="label">Archived jobs</div>
              <div className="value">{formatCount(status.data.archivedJobs)}</div>
            </div>
            <div className="stat">
              <div className="label">Events waiting</div>
              <div className="value">{formatCount(status.data.pendingEvents)}</div>
            </div>
            <div className="stat">
              <div className="label">Lag</div>
              <div className="value">
                {status.data.lag ? formatDuration(durationMillis(status.data.lag)) : "none"}
              </div>
            </div>
          </div>
          {status.data.queues.length > 0 && (
            <table className="settings-table">
              <thead>
                <tr>
                  <th>Queue</th>
                  <th className="num">Events waiting</th>
                  <th>Oldest</th>
                </tr>
              </thead>
              <tbody>
                {status.data.queues.map((lag) => (
                  <tr key={lag.queue}>
                    <td className="mono">{lag.queue}</td>
                    <td className="num">{formatCount(lag.pendingEvents)}</td>
                    <td>{formatRelative(tsMillis(lag.oldestPending))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        !status.error && <Empty>Loading…</Empty>
      )}
    </section>
  );
}
