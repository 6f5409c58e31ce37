import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { expect, test } from "vitest";

import { MetricPointSchema, QueueRatesSchema } from "../../gen/zenith/v1/metrics_pb";
import { QueueSnapshotSchema } from "../../gen/zenith/v1/queue_pb";
import { busiestQueues, failureRate, mergeLive, type RateSeries, seriesFromHistory } from "./metrics";

const MINUTE = 60;

function point(start: number, completed: number, failed = 0, enqueued = 0) {
  return create(MetricPointSchema, {
    start: { seconds: BigInt(start) },
    completed: BigInt(completed),
    failed: BigInt(failed),
    enqueued: BigInt(enqueued),
  });
}

function rates(completed: number, failed = 0, enqueued = 0) {
  return create(QueueRatesSchema, { completed, failed, enqueued });
}

// Three minutes of history ending with the minute that starts at 600.
const history = (): RateSeries =>
  seriesFromHistory([point(480, 60), point(540, 120, 6), point(600, 30)], create(DurationSchema, { seconds: 60n }), 3 * MINUTE);

test("history becomes per-second rates, one point per step", () => {
  const series = history();
  expect(series.stepSeconds).toBe(60);
  expect(series.x).toEqual([480, 540, 600]);
  expect(series.completed).toEqual([1, 2, 0.5]);
  expect(series.failed).toEqual([0, 0.1, 0]);
});

test("a live sample in the current step replaces its partial count", () => {
  const series = mergeLive(history(), { at: 630, rates: rates(1.5, 0.25) });
  expect(series.x).toEqual([480, 540, 600]);
  expect(series.completed).toEqual([1, 2, 1.5]);
  expect(series.failed).toEqual([0, 0.1, 0.25]);
});

test("a live sample in a new step appends a point and the window slides", () => {
  const series = mergeLive(history(), { at: 661, rates: rates(3) });
  expect(series.x).toEqual([540, 600, 660]);
  expect(series.completed).toEqual([2, 0.5, 3]);
  expect(series.enqueued).toHaveLength(3);
});

test("after a gap the window drops every point older than the range", () => {
  const series = mergeLive(history(), { at: 600 + 10 * MINUTE, rates: rates(4) });
  expect(series.x).toEqual([1200]);
  expect(series.completed).toEqual([4]);
});

test("a sample older than the newest point changes nothing", () => {
  const before = history();
  expect(mergeLive(before, { at: 500, rates: rates(9) })).toBe(before);
});

test("the failure rate is failed over finished attempts", () => {
  expect(failureRate(rates(3, 1))).toBe(0.25);
  expect(failureRate(rates(0, 0))).toBeUndefined();
  expect(failureRate(undefined)).toBeUndefined();
});

test("the busiest queues are the most active first, then the longest backlog", () => {
  const snapshot = (name: string, activity: number, pending: number) =>
    create(QueueSnapshotSchema, {
      queue: { name, counts: { pending: BigInt(pending) } },
      rates: { completed: activity },
    });
  const busiest = busiestQueues(
    [snapshot("idle", 0, 0), snapshot("backlog", 0, 50), snapshot("busy", 5, 0), snapshot("busier", 9, 1)],
    3,
  );
  expect(busiest.map((s) => s.queue?.name)).toEqual(["busier", "busy", "backlog"]);
});
