import { expect, test } from "vitest";

import type { QueueSnapshot } from "../../gen/zenith/v1/queue_pb";
import { nextSort, sortQueues } from "./sort";

function snapshot(name: string, dead: bigint, failed: number): QueueSnapshot {
  const counts = { pending: 0n, scheduled: 0n, active: 0n, retry: 0n, dead, completed: 0n, cancelled: 0n };
  return {
    $typeName: "zenith.v1.QueueSnapshot",
    queue: {
      $typeName: "zenith.v1.Queue",
      name,
      paused: false,
      source: 1,
      counts: { $typeName: "zenith.v1.QueueCounts", ...counts },
    },
    rates: { $typeName: "zenith.v1.QueueRates", enqueued: 0, completed: 0, failed },
  };
}

const names = (list: QueueSnapshot[]) => list.map((s) => s.queue?.name);

test("sorts by name, a count or a rate, ties in name order", () => {
  const list = [snapshot("b", 5n, 0.5), snapshot("a", 5n, 2), snapshot("c", 1n, 1)];
  expect(names(sortQueues(list, { key: "name", direction: "asc" }))).toEqual(["a", "b", "c"]);
  expect(names(sortQueues(list, { key: "dead", direction: "desc" }))).toEqual(["a", "b", "c"]);
  expect(names(sortQueues(list, { key: "dead", direction: "asc" }))).toEqual(["c", "a", "b"]);
  expect(names(sortQueues(list, { key: "failedRate", direction: "desc" }))).toEqual(["a", "c", "b"]);
  expect(names(list)).toEqual(["b", "a", "c"]);
});

test("clicking a header flips its direction or starts a new column", () => {
  expect(nextSort({ key: "name", direction: "asc" }, "name")).toEqual({ key: "name", direction: "desc" });
  expect(nextSort({ key: "name", direction: "asc" }, "dead")).toEqual({ key: "dead", direction: "desc" });
});
