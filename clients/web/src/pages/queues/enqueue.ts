// Checking the enqueue form as the operator types, and turning it into a JobSpec.
import type { MessageInitShape } from "@bufbuild/protobuf";

import type { JobSpecSchema } from "../../gen/zenith/v1/job_pb";

export interface EnqueueFields {
  queue: string;
  type: string;
  payload: string;
  delaySeconds: string;
  priority: string;
  uniqueKey: string;
}

export type FieldErrors = Partial<Record<keyof EnqueueFields, string>>;

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

// The JSON parser's own message, so a typo points at its position. An empty payload is allowed.
export function payloadError(payload: string): string | undefined {
  if (payload.trim() === "") return undefined;
  try {
    JSON.parse(payload);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function integerError(text: string, min: number, max: number): string | undefined {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) return `a whole number from ${min} to ${max}`;
  return undefined;
}

// What the server would refuse, checked locally so the submit button can say so first.
export function validate(fields: EnqueueFields): FieldErrors {
  const errors: FieldErrors = {};
  if (!QUEUE_NAME.test(fields.queue)) errors.queue = "1–128 of A–Z a–z 0–9 _ . : -";
  if (fields.type.trim() === "") errors.type = "required";
  const payload = payloadError(fields.payload);
  if (payload) errors.payload = payload;
  const delay = integerError(fields.delaySeconds, 0, 365 * 86400);
  if (delay) errors.delaySeconds = delay;
  const priority = integerError(fields.priority, -1000, 1000);
  if (priority) errors.priority = priority;
  return errors;
}

export function toJobSpec(fields: EnqueueFields): MessageInitShape<typeof JobSpecSchema> {
  const delay = Number(fields.delaySeconds || "0");
  return {
    queue: fields.queue,
    type: fields.type,
    payload: new TextEncoder().encode(fields.payload),
    contentType: fields.payload.trim() === "" ? "" : "application/json",
    priority: Number(fields.priority || "0"),
    uniqueKey: fields.uniqueKey.trim(),
    delay: delay > 0 ? { seconds: BigInt(delay), nanos: 0 } : undefined,
  };
}
