// Jobs as a CSV or JSON file: what the list shows, with times as RFC 3339 and the payload as text.
import { type Job, JobState } from "../../gen/zenith/v1/job_pb";
import { toCsv } from "../../ui/common";
import { tsMillis } from "../../ui/format";

const decoder = new TextDecoder();

function iso(ts: Parameters<typeof tsMillis>[0]): string {
  const ms = tsMillis(ts);
  return ms === undefined ? "" : new Date(ms).toISOString();
}

interface ExportedJob {
  id: string;
  queue: string;
  type: string;
  state: string;
  attempts: number;
  max_attempts: number;
  priority: number;
  created_at: string;
  scheduled_at: string;
  started_at: string;
  finished_at: string;
  last_error: string;
  unique_key: string;
  tags: string[];
  payload: string;
  // The key that exported the list may not see payloads: `payload` is empty, not the job's.
  payload_redacted: boolean;
}

function exportedJob(job: Job): ExportedJob {
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    state: (JobState[job.state] ?? "").toLowerCase(),
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    priority: job.priority,
    created_at: iso(job.createdAt),
    scheduled_at: iso(job.scheduledAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    last_error: job.lastError,
    unique_key: job.uniqueKey,
    tags: job.tags,
    payload: job.payloadRedacted ? "" : decoder.decode(job.payload),
    payload_redacted: job.payloadRedacted,
  };
}

const COLUMNS: (keyof ExportedJob)[] = [
  "id", "queue", "type", "state", "attempts", "max_attempts", "priority", "created_at", "scheduled_at",
  "started_at", "finished_at", "last_error", "unique_key", "tags", "payload",
  "payload_redacted",
];

export function jobsToCsv(jobs: readonly Job[]): string {
  const rows = jobs.map((job) => {
    const row = exportedJob(job);
    return COLUMNS.map((column) => {
      const value = row[column];
      return Array.isArray(value) ? value.join(" ") : String(value);
    });
  });
  return toCsv(COLUMNS, rows);
}

export function jobsToJson(jobs: readonly Job[]): string {
  return JSON.stringify(jobs.map(exportedJob), null, 2) + "\n";
}
