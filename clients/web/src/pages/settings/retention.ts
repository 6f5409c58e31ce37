import { parseAge } from "../search/query";

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

export function queueNameError(name: string): string | undefined {
  if (!name.trim()) return "Name the queue.";
  if (!QUEUE_NAME.test(name.trim())) return "Queue names are 1–128 of A-Z a-z 0-9 _ . : -";
  return undefined;
}

// "30d", "12h", "90m" → milliseconds. The range (1 h to 3,650 days) is the server's to judge,
// so its message is the one shown.
export function parseRetention(text: string): { ms: number } | { error: string } {
  const ms = parseAge(text);
  if (ms === undefined) return { error: "Write a whole number with a unit: 90m, 12h, 30d." };
  return { ms };
}

// Retention as the CLI and flags write it: the largest whole unit.
export function formatRetention(ms: number | undefined): string {
  if (ms === undefined) return "—";
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
