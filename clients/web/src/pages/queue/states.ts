// The job states a queue page shows as tabs, and what an operator may do to jobs in each.
import { BulkAction } from "../../gen/zenith/v1/bulk_pb";
import { JobState } from "../../gen/zenith/v1/job_pb";
import type { QueueCounts } from "../../gen/zenith/v1/queue_pb";

export type StateSlug = "pending" | "scheduled" | "active" | "retry" | "dead" | "completed" | "cancelled";

export interface StateInfo {
  slug: StateSlug;
  state: JobState;
  label: string;
  // Which job timestamp says when the job entered (or will leave) this state.
  when: { label: string; field: "scheduledAt" | "startedAt" | "finishedAt" };
  // Finished jobs are most useful newest first; waiting ones in the order they will run.
  newestFirst: boolean;
}

function info(
  slug: StateSlug,
  state: JobState,
  label: string,
  when: StateInfo["when"],
  newestFirst: boolean,
): StateInfo {
  return { slug, state, label, when, newestFirst };
}

export const STATES: StateInfo[] = [
  info("pending", JobState.PENDING, "Pending", { label: "Ready", field: "scheduledAt" }, false),
  info("scheduled", JobState.SCHEDULED, "Scheduled", { label: "Due", field: "scheduledAt" }, false),
  info("active", JobState.ACTIVE, "Active", { label: "Started", field: "startedAt" }, false),
  info("retry", JobState.RETRY, "Retry", { label: "Due", field: "scheduledAt" }, false),
  info("dead", JobState.DEAD, "Dead", { label: "Died", field: "finishedAt" }, true),
  info("completed", JobState.COMPLETED, "Completed", { label: "Finished", field: "finishedAt" }, true),
  info("cancelled", JobState.CANCELLED, "Cancelled", { label: "Cancelled", field: "finishedAt" }, true),
];

// The state named by a `?state=` value; anything unknown falls back to pending.
export function stateFromSlug(slug: string | null): StateInfo {
  return STATES.find((s) => s.slug === slug?.toLowerCase()) ?? STATES[0];
}

// Every job that a purge deletes: all states but active (PurgeQueue without a state).
export function purgeableCount(counts: QueueCounts | undefined): bigint {
  if (!counts) return 0n;
  return counts.pending + counts.scheduled + counts.retry + counts.dead + counts.completed + counts.cancelled;
}

export interface ActionInfo {
  action: BulkAction;
  verb: string;
  past: string;
  danger: boolean;
}

const RETRY: ActionInfo = { action: BulkAction.RETRY, verb: "Retry", past: "Retried", danger: false };
const PROMOTE: ActionInfo = { action: BulkAction.PROMOTE, verb: "Promote", past: "Promoted", danger: false };
const DELETE: ActionInfo = { action: BulkAction.DELETE, verb: "Delete", past: "Deleted", danger: true };
const CANCEL: ActionInfo = { action: BulkAction.CANCEL, verb: "Cancel", past: "Cancelled", danger: true };

// The actions the server accepts for jobs in a state (README, "Fixing jobs"). Active jobs can
// only be asked to stop, and only by id: bulk operations refuse the active state.
export function actionsFor(state: JobState): ActionInfo[] {
  switch (state) {
    case JobState.PENDING:
      return [CANCEL, DELETE];
    case JobState.SCHEDULED:
    case JobState.RETRY:
      return [RETRY, PROMOTE, CANCEL, DELETE];
    case JobState.ACTIVE:
      return [CANCEL];
    case JobState.DEAD:
      return [RETRY, DELETE];
    case JobState.COMPLETED:
    case JobState.CANCELLED:
      return [DELETE];
    default:
      return [];
  }
}

// Server-side bulk operations walk any state but active.
export function bulkOperationAllowed(state: JobState): boolean {
  return state !== JobState.ACTIVE;
}

function counted(count: number | bigint): { number: string; noun: string } {
  const n = Number(count);
  return { number: n.toLocaleString("en-US"), noun: n === 1 ? "job" : "jobs" };
}

// "Retry 1,234 dead jobs?", "Delete 1 completed job?"
export function confirmTitle(action: ActionInfo, count: number | bigint, state: StateInfo): string {
  const { number, noun } = counted(count);
  return `${action.verb} ${number} ${state.slug} ${noun}?`;
}

// The confirming button names the count too, and never reads as the dialog's own "Cancel".
export function confirmLabel(action: ActionInfo, count: number | bigint): string {
  const { number, noun } = counted(count);
  return `${action.verb} ${number} ${noun}`;
}
