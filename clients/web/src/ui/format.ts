import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

export function tsMillis(ts: Timestamp | undefined): number | undefined {
  if (!ts) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

export function durationMillis(d: Duration | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

// "3s", "4m 10s", "2h 5m", "3d 4h": two units at most.
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.floor(ms / 1000);
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (s >= size || (parts.length === 0 && unit === "s")) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

// "12s ago", "in 3m": relative to now.
export function formatRelative(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return "—";
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return "now";
  return delta < 0 ? `${formatDuration(-delta)} ago` : `in ${formatDuration(delta)}`;
}

export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return "—";
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatCount(n: number | bigint | undefined): string {
  if (n === undefined) return "—";
  return Number(n).toLocaleString("en-US");
}

export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return "—";
  if (perSecond >= 100) return `${Math.round(perSecond).toLocaleString("en-US")}/s`;
  return `${perSecond.toFixed(perSecond >= 10 ? 1 : 2)}/s`;
}

export function formatBytes(n: number | bigint | undefined): string {
  if (n === undefined) return "—";
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toFixed(1)}%`;
}
