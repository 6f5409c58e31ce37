// Pure logic of the cron pages: the schedule form and how schedules read in tables.
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";

import {
  MisfirePolicy,
  OverlapPolicy,
  RunState,
  RunTrigger,
  type ScheduleSpec,
  ScheduleSpecSchema,
} from "../../gen/zenith/v1/cron_pb";
import { JobSpecSchema } from "../../gen/zenith/v1/job_pb";
import { durationFieldText, durationFromSeconds, parseDuration } from "../../ui/duration";

export type CadenceKind = "cron" | "interval";

// Every field as the form holds it: text, so half-typed values survive.
export interface ScheduleForm {
  id: string;
  cadence: CadenceKind;
  cron: string;
  interval: string;
  timeZone: string;
  queue: string;
  type: string;
  payload: string;
  priority: string;
  maxAttempts: string;
  timeout: string;
  overlap: OverlapPolicy;
  misfire: MisfirePolicy;
  jitter: string;
  description: string;
}

export const EMPTY_SCHEDULE_FORM: ScheduleForm = {
  id: "",
  cadence: "cron",
  cron: "*/5 * * * *",
  interval: "",
  timeZone: "UTC",
  queue: "",
  type: "",
  payload: "",
  priority: "0",
  maxAttempts: "",
  timeout: "",
  overlap: OverlapPolicy.UNSPECIFIED,
  misfire: MisfirePolicy.UNSPECIFIED,
  jitter: "",
  description: "",
};

export function specToForm(spec: ScheduleSpec): ScheduleForm {
  const job = spec.job;
  const payload = job?.payload.length ? new TextDecoder().decode(job.payload) : "";
  return {
    id: spec.id,
    cadence: spec.interval ? "interval" : "cron",
    cron: spec.cron,
    interval: durationFieldText(spec.interval),
    timeZone: spec.timeZone || "UTC",
    queue: job?.queue ?? "",
    type: job?.type ?? "",
    payload,
    priority: String(job?.priority ?? 0),
    maxAttempts: job?.maxAttempts ? String(job.maxAttempts) : "",
    timeout: durationFieldText(job?.timeout),
    overlap: spec.overlap,
    misfire: spec.misfire,
    jitter: durationFieldText(spec.jitter),
    description: spec.description,
  };
}

// Undefined when the payload is empty or valid JSON; else the parser's message.
export function payloadError(payload: string): string | undefined {
  if (payload.trim() === "") return undefined;
  try {
    JSON.parse(payload);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export type FieldErrors = Partial<Record<keyof ScheduleForm, string>>;

// What the browser can check before the server does; the server has the last word.
export function validateForm(form: ScheduleForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(form.id)) errors.id = "1-100 of A-Z a-z 0-9 _ . : -";
  if (form.cadence === "cron" && form.cron.trim() === "") errors.cron = "Required";
  if (form.cadence === "interval" && !(Number(parseDuration(form.interval)) >= 1)) {
    errors.interval = "A duration such as 90s, 5m or 1h";
  }
  if (form.queue.trim() === "") errors.queue = "Required";
  if (form.type.trim() === "") errors.type = "Required";
  const payload = payloadError(form.payload);
  if (payload) errors.payload = payload;
  if (!/^-?\d+$/.test(form.priority.trim())) errors.priority = "A whole number";
  if (form.maxAttempts.trim() !== "" && !/^\d+$/.test(form.maxAttempts.trim())) {
    errors.maxAttempts = "A whole number";
  }
  for (const field of ["timeout", "jitter"] as const) {
    if (form[field].trim() !== "" && parseDuration(form[field]) === undefined) {
      errors[field] = "A duration such as 30s or 5m";
    }
  }
  return errors;
}

function optionalDuration(text: string) {
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : durationFromSeconds(seconds);
}

// The spec to send; call only when validateForm found nothing. UpdateSchedule replaces the whole
// spec, so an edit starts from the stored one (`base`): what the form does not show (headers,
// tags, backoff, misfire grace, catch-up window…) is kept as it was.
export function formToSpec(form: ScheduleForm, base?: ScheduleSpec): MessageInitShape<typeof ScheduleSpecSchema> {
  const hasPayload = form.payload.trim() !== "";
  const job = {
    queue: form.queue.trim(),
    type: form.type.trim(),
    payload: hasPayload ? new TextEncoder().encode(form.payload) : new Uint8Array(),
    contentType: hasPayload ? base?.job?.contentType || "application/json" : "",
    priority: Number(form.priority),
    maxAttempts: form.maxAttempts.trim() === "" ? 0 : Number(form.maxAttempts),
    timeout: optionalDuration(form.timeout),
  };
  const fields = {
    id: form.id.trim(),
    cron: form.cadence === "cron" ? form.cron.trim() : "",
    interval: form.cadence === "interval" ? optionalDuration(form.interval) : undefined,
    timeZone: form.timeZone.trim(),
    overlap: form.overlap,
    misfire: form.misfire,
    jitter: optionalDuration(form.jitter),
    description: form.description,
  };
  if (!base) return { ...fields, job };
  const spec = Object.assign(clone(ScheduleSpecSchema, base), fields);
  spec.job = Object.assign(spec.job ?? create(JobSpecSchema), job);
  return spec;
}

// "*/5 * * * * (Europe/Berlin)" or "every 1h30m".
export function cadenceText(spec: ScheduleSpec | undefined): string {
  if (!spec) return "—";
  if (spec.interval) return `every ${durationFieldText(spec.interval)}`;
  const zone = spec.timeZone && spec.timeZone !== "UTC" ? ` (${spec.timeZone})` : "";
  return `${spec.cron}${zone}`;
}

export type Tone = "ok" | "warn" | "bad" | "info" | "muted";

export const RUN_STATE: Record<RunState, { label: string; tone: Tone }> = {
  [RunState.UNSPECIFIED]: { label: "unknown", tone: "muted" },
  [RunState.RUNNING]: { label: "running", tone: "info" },
  [RunState.COMPLETED]: { label: "completed", tone: "ok" },
  [RunState.FAILED]: { label: "failed", tone: "bad" },
  [RunState.CANCELLED]: { label: "cancelled", tone: "muted" },
  [RunState.SKIPPED]: { label: "skipped", tone: "warn" },
  [RunState.DELETED]: { label: "deleted", tone: "muted" },
};

export const RUN_TRIGGER: Record<RunTrigger, string> = {
  [RunTrigger.UNSPECIFIED]: "—",
  [RunTrigger.SCHEDULE]: "schedule",
  [RunTrigger.MISFIRE]: "misfire",
  [RunTrigger.MANUAL]: "manual",
};

export const OVERLAP_OPTIONS: { value: OverlapPolicy; label: string }[] = [
  { value: OverlapPolicy.UNSPECIFIED, label: "Default (allow)" },
  { value: OverlapPolicy.ALLOW, label: "Allow" },
  { value: OverlapPolicy.SKIP, label: "Skip while the previous run is unfinished" },
];

export const MISFIRE_OPTIONS: { value: MisfirePolicy; label: string }[] = [
  { value: MisfirePolicy.UNSPECIFIED, label: "Default (fire once)" },
  { value: MisfirePolicy.SKIP, label: "Skip missed fire times" },
  { value: MisfirePolicy.FIRE_ONCE, label: "Fire once" },
  { value: MisfirePolicy.CATCH_UP, label: "Catch up each" },
];

// The link to a job in the job page.
export function jobPath(jobId: string, queue: string): string {
  return `/jobs/${encodeURIComponent(jobId)}?queue=${encodeURIComponent(queue)}`;
}
