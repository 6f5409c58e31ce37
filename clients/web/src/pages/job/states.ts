import { JobState } from "../../gen/zenith/v1/job_pb";

type Tone = "ok" | "warn" | "bad" | "info" | "muted";

const TONES: Record<JobState, Tone> = {
  [JobState.UNSPECIFIED]: "muted",
  [JobState.PENDING]: "info",
  [JobState.SCHEDULED]: "muted",
  [JobState.ACTIVE]: "info",
  [JobState.RETRY]: "warn",
  [JobState.DEAD]: "bad",
  [JobState.COMPLETED]: "ok",
  [JobState.CANCELLED]: "muted",
  [JobState.DELETED]: "muted",
};

// "dead", "completed": the names the filter language and the CLI use.
export function stateName(state: JobState): string {
  return (JobState[state] ?? "unknown").toLowerCase();
}

export function stateTone(state: JobState): Tone {
  return TONES[state] ?? "muted";
}

// States a job leaves only by an operator's action (or pruning); nothing changes on its own.
export function isFinal(state: JobState): boolean {
  return (
    state === JobState.DEAD ||
    state === JobState.COMPLETED ||
    state === JobState.CANCELLED ||
    state === JobState.DELETED
  );
}

// The real states a job can be in, for filters.
export const JOB_STATES: JobState[] = [
  JobState.PENDING,
  JobState.SCHEDULED,
  JobState.ACTIVE,
  JobState.RETRY,
  JobState.DEAD,
  JobState.COMPLETED,
  JobState.CANCELLED,
  JobState.DELETED,
];

export type JobAction = "retry" | "promote" | "cancel" | "delete";

// What the server accepts per state (README, "Fixing jobs"); archived jobs are gone from
// Redis, so no action applies to them.
export function actionsFor(state: JobState, live: boolean): JobAction[] {
  if (!live) return [];
  const actions: JobAction[] = [];
  if (state === JobState.DEAD || state === JobState.RETRY || state === JobState.SCHEDULED) actions.push("retry");
  if (state === JobState.SCHEDULED || state === JobState.RETRY) actions.push("promote");
  if (
    state === JobState.PENDING ||
    state === JobState.SCHEDULED ||
    state === JobState.RETRY ||
    state === JobState.ACTIVE
  ) {
    actions.push("cancel");
  }
  if (state !== JobState.ACTIVE && state !== JobState.DELETED) actions.push("delete");
  return actions;
}
