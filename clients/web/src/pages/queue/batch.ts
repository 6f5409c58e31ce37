// Acting on picked jobs by id: the Batch*Jobs RPCs take at most 1,000 ids a call.
import { queues } from "../../api/clients";
import { BulkAction } from "../../gen/zenith/v1/bulk_pb";
import type { JobState } from "../../gen/zenith/v1/job_pb";
import { JobActionOutcome, type JobActionResult } from "../../gen/zenith/v1/queue_pb";

const BATCH_LIMIT = 1000;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface Tally {
  done: number;
  requested: number;
  notFound: number;
  wrongState: number;
}

export function tally(results: readonly JobActionResult[]): Tally {
  const counts: Tally = { done: 0, requested: 0, notFound: 0, wrongState: 0 };
  for (const result of results) {
    if (result.outcome === JobActionOutcome.DONE) counts.done++;
    else if (result.outcome === JobActionOutcome.REQUESTED) counts.requested++;
    else if (result.outcome === JobActionOutcome.NOT_FOUND) counts.notFound++;
    else if (result.outcome === JobActionOutcome.WRONG_STATE) counts.wrongState++;
  }
  return counts;
}

const CANCEL_REASON = "cancelled from the console";

async function runChunk(action: BulkAction, queue: string, ids: string[]): Promise<JobActionResult[]> {
  switch (action) {
    case BulkAction.RETRY:
      return (await queues.batchRetryJobs({ queue, ids })).results;
    case BulkAction.PROMOTE:
      return (await queues.batchPromoteJobs({ queue, ids })).results;
    case BulkAction.DELETE:
      return (await queues.batchDeleteJobs({ queue, ids })).results;
    case BulkAction.CANCEL:
      return (await queues.batchCancelJobs({ queue, ids, reason: CANCEL_REASON })).results;
    default:
      throw new Error(`no batch RPC for action ${action}`);
  }
}

// One call per 1,000 ids, one after another so a big selection does not flood the server.
export async function runBatch(action: BulkAction, queue: string, ids: readonly string[]): Promise<Tally> {
  const results: JobActionResult[] = [];
  for (const chunk of chunks(ids, BATCH_LIMIT)) results.push(...(await runChunk(action, queue, chunk)));
  return tally(results);
}

export function startBulk(action: BulkAction, queue: string, state: JobState, filter: string) {
  return queues.startBulkOperation({
    queue,
    state,
    filter,
    action,
    reason: action === BulkAction.CANCEL ? CANCEL_REASON : "",
    requestId: crypto.randomUUID(),
  });
}

// "Retried 12 · 1 not found · 2 had moved on"
export function describeTally(past: string, counts: Tally): string {
  const parts = [`${past} ${counts.done.toLocaleString("en-US")}`];
  if (counts.requested) parts.push(`${counts.requested.toLocaleString("en-US")} asked to stop`);
  if (counts.notFound) parts.push(`${counts.notFound.toLocaleString("en-US")} not found`);
  if (counts.wrongState) parts.push(`${counts.wrongState.toLocaleString("en-US")} in another state by now`);
  return parts.join(" · ");
}
