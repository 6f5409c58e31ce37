// Durations as people type them in forms ("90s", "5m", "1h30m", "2d"), in whole seconds.
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

// Seconds, or undefined when the text is not a duration. A bare number means seconds.
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "") return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+[dhms])+$/.test(trimmed)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([dhms])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit];
  }
  return seconds;
}

// The inverse of parseDuration: "1h30m", "45s", "0s".
export function durationText(seconds: number): string {
  if (seconds === 0) return "0s";
  let rest = seconds;
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

export function durationFromSeconds(seconds: number): Duration {
  return create(DurationSchema, { seconds: BigInt(seconds) });
}

// The form text of an optional proto Duration: empty when unset.
export function durationFieldText(duration: Duration | undefined): string {
  return duration ? durationText(Number(duration.seconds)) : "";
}
