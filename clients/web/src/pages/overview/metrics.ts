// Pure logic of the overview: chart series from per-step history kept live by the WatchQueues
// stream, the failure rate, and which queues are busiest.
import type { Duration } from "@bufbuild/protobuf/wkt";

import type { MetricPoint, QueueRates } from "../../gen/zenith/v1/metrics_pb";
import type { QueueSnapshot } from "../../gen/zenith/v1/queue_pb";
import { durationMillis, tsMillis } from "../../ui/format";

export interface ChartRange {
  id: string;
  label: string;
  seconds: number;
}

// GetQueueMetrics serves 15 min to 48 h from per-minute counters.
export const RANGES: ChartRange[] = [
  { id: "15m", label: "15 min", seconds: 15 * 60 },
  { id: "1h", label: "1 h", seconds: 3600 },
  { id: "6h", label: "6 h", seconds: 6 * 3600 },
  { id: "24h", label: "24 h", seconds: 24 * 3600 },
  { id: "48h", label: "48 h", seconds: 48 * 3600 },
];

// Rates in jobs per second, one point per step; `x` is each step's start in epoch seconds.
export interface RateSeries {
  stepSeconds: number;
  rangeSeconds: number;
  x: number[];
  enqueued: number[];
  completed: number[];
  failed: number[];
}

export interface LiveSample {
  // Epoch seconds when the sample arrived.
  at: number;
  rates: QueueRates;
}

export function seriesFromHistory(
  points: MetricPoint[],
  step: Duration | undefined,
  rangeSeconds: number,
): RateSeries {
  const stepSeconds = Math.max(60, (durationMillis(step) ?? 60_000) / 1000);
  return {
    stepSeconds,
    rangeSeconds,
    x: points.map((p) => Math.floor((tsMillis(p.start) ?? 0) / 1000)),
    enqueued: points.map((p) => Number(p.enqueued) / stepSeconds),
    completed: points.map((p) => Number(p.completed) / stepSeconds),
    failed: points.map((p) => Number(p.failed) / stepSeconds),
  };
}

// Folds one live sample in. The stream's rates are per second over the last minute, so the
// sample stands for its whole step: it replaces the point of the step it falls in (the
// history's last point only counts part of the current step), or starts a new point, and the
// window slides so it keeps spanning the range.
export function mergeLive(series: RateSeries, sample: LiveSample): RateSeries {
  const bucket = Math.floor(sample.at / series.stepSeconds) * series.stepSeconds;
  const last = series.x.at(-1);
  if (last !== undefined && bucket < last) return series;
  const replace = last === bucket;
  const put = (values: number[], value: number) => (replace ? [...values.slice(0, -1), value] : [...values, value]);
  const x = put(series.x, bucket);
  const firstKept = bucket - series.rangeSeconds + series.stepSeconds;
  const drop = x.findIndex((t) => t >= firstKept);
  const trim = (values: number[]) => values.slice(drop);
  return {
    ...series,
    x: trim(x),
    enqueued: trim(put(series.enqueued, sample.rates.enqueued)),
    completed: trim(put(series.completed, sample.rates.completed)),
    failed: trim(put(series.failed, sample.rates.failed)),
  };
}

// Failed attempts over finished attempts; undefined while nothing finishes.
export function failureRate(rates: QueueRates | undefined): number | undefined {
  if (!rates) return undefined;
  const finished = rates.completed + rates.failed;
  return finished > 0 ? rates.failed / finished : undefined;
}

function activity(snapshot: QueueSnapshot): number {
  const rates = snapshot.rates;
  return rates ? rates.enqueued + rates.completed + rates.failed : 0;
}

function backlog(snapshot: QueueSnapshot): number {
  const counts = snapshot.queue?.counts;
  return counts ? Number(counts.pending + counts.active) : 0;
}

// The queues doing the most work now, then those with the most work waiting.
export function busiestQueues(snapshots: QueueSnapshot[], limit: number): QueueSnapshot[] {
  return [...snapshots]
    .sort(
      (a, b) =>
        activity(b) - activity(a) ||
        backlog(b) - backlog(a) ||
        (a.queue?.name ?? "").localeCompare(b.queue?.name ?? ""),
    )
    .slice(0, limit);
}
