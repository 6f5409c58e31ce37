// The silence form's checks and how a silence's matchers read.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";

import type { SilenceSpec } from "../../gen/zenith/v1/alert_pb";
import { durationFromSeconds, parseDuration } from "../../ui/duration";

export interface SilenceForm {
  ruleId: string;
  queue: string;
  service: string;
  ends: "duration" | "at";
  duration: string;
  // A datetime-local value, in the browser's zone.
  endsAt: string;
  comment: string;
}

const MIN_SECONDS = 60;
const MAX_SECONDS = 90 * 86400;

// The first problem that keeps the form from being sent, or undefined.
export function validateSilence(form: SilenceForm, now = Date.now()): string | undefined {
  if (!form.ruleId && !form.queue.trim() && !form.service.trim()) return "Give at least one matcher: a rule, queue or service.";
  if (form.ends === "duration") {
    const seconds = parseDuration(form.duration);
    if (seconds === undefined || seconds < MIN_SECONDS || seconds > MAX_SECONDS) return "The duration is 1m to 90d, e.g. 2h.";
  } else {
    const at = Date.parse(form.endsAt);
    if (Number.isNaN(at)) return "Choose when it ends.";
    if (at - now < MIN_SECONDS * 1000) return "It must end at least a minute from now.";
  }
  if (!form.comment.trim()) return "Say why in the comment.";
  return undefined;
}

// The end as the API takes it: a duration, or an end time.
export function silenceEnd(form: SilenceForm) {
  if (form.ends === "duration") return { duration: durationFromSeconds(parseDuration(form.duration) ?? 0) };
  return { endsAt: timestampFromMs(Date.parse(form.endsAt)) };
}

// "rule=backlog queue=emails".
export function silenceMatchers(spec: SilenceSpec | undefined): string {
  if (!spec) return "—";
  return [
    spec.ruleId ? `rule=${spec.ruleId}` : "",
    spec.queue ? `queue=${spec.queue}` : "",
    spec.service ? `service=${spec.service}` : "",
  ]
    .filter((part) => part !== "")
    .join(" ");
}
