import { Link } from "react-router";

import { JobSource } from "../../gen/zenith/v1/archive_pb";
import type { Job, JobState } from "../../gen/zenith/v1/job_pb";
import { Badge } from "../../ui/common";
import { durationMillis, formatDuration, formatRelative, formatTime, tsMillis } from "../../ui/format";
import { stateName, stateTone } from "./states";

export function StateBadge({ state }: { state: JobState }) {
  return <Badge tone={stateTone(state)}>{stateName(state)}</Badge>;
}

function When({ label, ms }: { label: string; ms: number | undefined }) {
  return (
    <>
      <dt>{label}</dt>
      <dd title={ms === undefined ? undefined : new Date(ms).toISOString()}>
        {ms === undefined ? "—" : `${formatTime(ms)} (${formatRelative(ms)})`}
      </dd>
    </>
  );
}

export function JobSummary({ job, source }: { job: Job; source: JobSource }) {
  return (
    <section className="panel job-summary" aria-label="Job details">
      <dl className="job-facts">
        <dt>State</dt>
        <dd>
          <StateBadge state={job.state} />{" "}
          <span className="muted">· {source === JobSource.ARCHIVE ? "from the archive" : "in Redis"}</span>
          {job.cancelRequested && <Badge tone="warn">cancel requested</Badge>}
        </dd>
        <dt>Queue</dt>
        <dd>
          <Link to={`/queues/${encodeURIComponent(job.queue)}`}>{job.queue}</Link>
        </dd>
        <dt>Type</dt>
        <dd className="mono">{job.type}</dd>
        <dt>Attempts</dt>
        <dd>
          {job.attempts} of {job.maxAttempts}
        </dd>
        <dt>Priority</dt>
        <dd>{job.priority}</dd>
        <dt>Timeout</dt>
        <dd>{job.timeout ? formatDuration(durationMillis(job.timeout)) : "none"}</dd>
        <When label="Created" ms={tsMillis(job.createdAt)} />
        <When label="Scheduled" ms={tsMillis(job.scheduledAt)} />
        <When label="Started" ms={tsMillis(job.startedAt)} />
        <When label="Finished" ms={tsMillis(job.finishedAt)} />
        {/* Always present, so the facts keep their place as a job starts and finishes. */}
        <When label="Lease until" ms={tsMillis(job.leaseDeadline)} />
        <dt>Worker</dt>
        <dd className="mono">{job.workerId ? `${job.workerId}${job.nodeId ? ` on ${job.nodeId}` : ""}` : "—"}</dd>
        <dt>Unique key</dt>
        <dd className="mono">{job.uniqueKey || "—"}</dd>
        <dt>Content type</dt>
        <dd className="mono">{job.contentType || "—"}</dd>
        <dt>Tags</dt>
        <dd className="job-tags">
          {job.tags.length === 0 ? "—" : job.tags.map((tag) => <Badge key={tag}>{tag}</Badge>)}
        </dd>
      </dl>
    </section>
  );
}

export function JobHeaders({ job }: { job: Job }) {
  const headers = Object.entries(job.headers).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="panel" aria-label="Headers">
      <h2>Headers</h2>
      {headers.length === 0 ? (
        <p className="muted">No headers.</p>
      ) : (
        <table className="job-headers">
          <tbody>
            {headers.map(([name, value]) => (
              <tr key={name}>
                <th className="mono">{name}</th>
                <td className="mono">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// The last error and stack trace, and why an operator cancelled the job.
export function JobFailure({ job }: { job: Job }) {
  if (!job.lastError && !job.lastStackTrace && !job.cancelReason) return null;
  return (
    <section className="panel" aria-label={job.lastError || job.lastStackTrace ? "Error" : "Cancel reason"}>
      {job.cancelReason && (
        <>
          <h2>Cancel reason</h2>
          <pre className="code">{job.cancelReason}</pre>
        </>
      )}
      {job.lastError && (
        <>
          <h2>Last error</h2>
          <pre className="code job-error" data-testid="job-error">
            {job.lastError}
          </pre>
        </>
      )}
      {job.lastStackTrace && (
        <>
          <h2 className="job-subhead">Stack trace</h2>
          <pre className="code" data-testid="job-stack-trace">
            {job.lastStackTrace}
          </pre>
        </>
      )}
    </section>
  );
}
