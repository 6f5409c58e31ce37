import { useInfiniteQuery } from "@tanstack/react-query";

import { archive } from "../../api/clients";
import { isNotFound } from "../../api/errors";
import { type JobEvent, JobEventKind } from "../../gen/zenith/v1/archive_pb";
import { Empty, ErrorBox } from "../../ui/common";
import { formatTime, tsMillis } from "../../ui/format";
import { StateBadge } from "./JobSummary";

function eventName(kind: JobEventKind): string {
  return (JobEventKind[kind] ?? "unknown").toLowerCase().replaceAll("_", " ");
}

function eventDetail(event: JobEvent): string {
  const parts = [event.error, event.reason];
  const due = tsMillis(event.due);
  if (due !== undefined) parts.push(`due ${formatTime(due)}`);
  if (event.bulkOperationId) parts.push(`bulk operation ${event.bulkOperationId}`);
  return parts.filter(Boolean).join(" · ");
}

// The job's life from the archive, oldest first. A job the archive has not recorded yet is
// normal for a moment after enqueue, so that is a note, not an error; it is asked again.
export function Timeline({ id }: { id: string }) {
  const history = useInfiniteQuery({
    queryKey: ["job", id, "history"],
    queryFn: ({ pageParam }) => archive.getJobHistory({ id, pageSize: 200, pageToken: pageParam }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    retry: (count, error) => !isNotFound(error) && count < 1,
    refetchInterval: 5000,
  });

  if (history.isPending) return <Empty>Loading the timeline…</Empty>;
  if (history.error) {
    if (isNotFound(history.error)) {
      return <p className="notice">The archive has no history for this job yet; events reach it within moments.</p>;
    }
    return <ErrorBox error={history.error} />;
  }
  const events = history.data.pages.flatMap((page) => page.events);
  if (events.length === 0) return <p className="notice">No events archived yet.</p>;
  return (
    <>
      <table className="job-timeline" aria-label="Timeline">
        <thead>
          <tr>
            <th>Time</th>
            <th>Event</th>
            <th>State</th>
            <th className="num">Attempt</th>
            <th>Who</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event, index) => (
            <tr key={index}>
              <td className="mono">{formatTime(tsMillis(event.at))}</td>
              <td>{eventName(event.kind)}</td>
              <td>
                <StateBadge state={event.state} />
              </td>
              <td className="num">{event.attempt || "—"}</td>
              <td className="mono">{event.actor || event.worker || "—"}</td>
              <td className="job-event-detail" title={eventDetail(event)}>
                {eventDetail(event) || "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {history.hasNextPage && (
        <button type="button" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          Load more events
        </button>
      )}
    </>
  );
}
