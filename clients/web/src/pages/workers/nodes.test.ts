import { create } from "@bufbuild/protobuf";
import { expect, test } from "vitest";

import {
  type Node,
  NodeChangeKind,
  NodeHealth,
  NodeMetricPointSchema,
  NodeSchema,
  WatchNodesResponseSchema,
} from "../../gen/zenith/v1/pulse_pb";
import {
  applyNode,
  applyWatch,
  EMPTY_NODES,
  groupByService,
  historySamples,
  languageCounts,
  matches,
  type NodesState,
  SAMPLE_LIMIT,
  streamOpened,
  uptimeMillis,
} from "./nodes";

const GIB = 1024n ** 3n;

function node(id: string, options: { service?: string; language?: string; health?: NodeHealth; beatAt?: number; cpu?: number } = {}): Node {
  return create(NodeSchema, {
    health: options.health ?? NodeHealth.HEALTHY,
    lastBeatAt: { seconds: BigInt(options.beatAt ?? 100) },
    beat: {
      identity: { nodeId: id, service: options.service ?? "billing", language: options.language ?? "go" },
      process: { cpuPercent: options.cpu ?? 10, memoryRssBytes: 1000n },
      system: { diskTotalBytes: 100n * GIB, diskUsedBytes: 25n * GIB },
      uptime: { seconds: 60n },
    },
  });
}

function message(snapshot: boolean, ...changes: [NodeChangeKind, Node][]) {
  return create(WatchNodesResponseSchema, {
    snapshot,
    changes: changes.map(([kind, n]) => ({ kind, node: n })),
  });
}

const ids = (state: NodesState) => [...state.nodes.keys()].sort();

test("the snapshot lists the nodes, then changes add, update and remove them", () => {
  let state = applyWatch(EMPTY_NODES, message(true, [NodeChangeKind.ADDED, node("a")], [NodeChangeKind.ADDED, node("b")]));
  expect(ids(state)).toEqual(["a", "b"]);
  state = applyWatch(state, message(false, [NodeChangeKind.UPDATED, node("a", { health: NodeHealth.LATE })]));
  expect(state.nodes.get("a")?.node.health).toBe(NodeHealth.LATE);
  state = applyWatch(state, message(false, [NodeChangeKind.REMOVED, node("b")], [NodeChangeKind.ADDED, node("c")]));
  expect(ids(state)).toEqual(["a", "c"]);
});

test("a snapshot spread over several messages accumulates", () => {
  let state = applyWatch(EMPTY_NODES, message(true, [NodeChangeKind.ADDED, node("a")]));
  state = applyWatch(state, message(true, [NodeChangeKind.ADDED, node("b")]));
  expect(ids(state)).toEqual(["a", "b"]);
});

test("a new snapshot, or the stream reopening, starts the listing over but keeps samples", () => {
  let state = applyWatch(EMPTY_NODES, message(true, [NodeChangeKind.ADDED, node("a", { cpu: 5 })], [NodeChangeKind.ADDED, node("gone")]));
  state = applyWatch(state, message(false, [NodeChangeKind.UPDATED, node("a", { beatAt: 101, cpu: 7 })]));
  const resent = applyWatch(state, message(true, [NodeChangeKind.ADDED, node("a", { beatAt: 102, cpu: 9 })]));
  expect(ids(resent)).toEqual(["a"]);
  expect(resent.nodes.get("a")?.samples.cpu).toEqual([5, 7, 9]);

  // Reopened in the middle of a snapshot: the next snapshot still starts over.
  const midSnapshot = applyWatch(EMPTY_NODES, message(true, [NodeChangeKind.ADDED, node("old")]));
  const reopened = applyWatch(streamOpened(midSnapshot), message(true, [NodeChangeKind.ADDED, node("new")]));
  expect(ids(reopened)).toEqual(["new"]);
});

test("only a new beat adds a sample, a health change does not", () => {
  let state = applyWatch(EMPTY_NODES, message(true, [NodeChangeKind.ADDED, node("a", { cpu: 5 })]));
  state = applyWatch(state, message(false, [NodeChangeKind.UPDATED, node("a", { health: NodeHealth.LATE, cpu: 5 })]));
  expect(state.nodes.get("a")?.samples.cpu).toEqual([5]);
  expect(state.nodes.get("a")?.samples.disk).toEqual([25]);
  state = applyNode(state, node("a", { beatAt: 103, cpu: 8 }));
  expect(state.nodes.get("a")?.samples.cpu).toEqual([5, 8]);
});

test("samples keep a bounded window", () => {
  let state = EMPTY_NODES;
  for (let i = 0; i < SAMPLE_LIMIT + 5; i++) {
    state = applyWatch(state, message(i === 0, [NodeChangeKind.UPDATED, node("a", { beatAt: 100 + i, cpu: i })]));
  }
  const cpu = state.nodes.get("a")?.samples.cpu ?? [];
  expect(cpu).toHaveLength(SAMPLE_LIMIT);
  expect(cpu.at(-1)).toBe(SAMPLE_LIMIT + 4);
});

test("nodes group by service in name order, with health counts", () => {
  const nodes = [
    node("w-2", { service: "web" }),
    node("b-1", { service: "billing", health: NodeHealth.LOST }),
    node("w-1", { service: "web", health: NodeHealth.LATE }),
  ];
  const groups = groupByService(nodes, (n) => n);
  expect(groups.map((g) => g.service)).toEqual(["billing", "web"]);
  expect(groups[1].members.map((n) => n.beat?.identity?.nodeId)).toEqual(["w-1", "w-2"]);
  expect(groups[1]).toMatchObject({ healthy: 1, late: 1, lost: 0 });
  expect(groups[0]).toMatchObject({ healthy: 0, late: 0, lost: 1 });
});

test("filters match service, language and health together", () => {
  const n = node("a", { service: "web", language: "php", health: NodeHealth.LATE });
  expect(matches(n, { service: "", language: "", health: undefined })).toBe(true);
  expect(matches(n, { service: "web", language: "php", health: NodeHealth.LATE })).toBe(true);
  expect(matches(n, { service: "web", language: "go", health: undefined })).toBe(false);
  expect(matches(n, { service: "", language: "", health: NodeHealth.HEALTHY })).toBe(false);
});

test("languages are counted most common first", () => {
  const counts = languageCounts([node("a", { language: "go" }), node("b", { language: "php" }), node("c", { language: "go" }), node("d", { language: "" })]);
  expect(counts).toEqual([
    { language: "go", count: 2 },
    { language: "php", count: 1 },
    { language: "unknown", count: 1 },
  ]);
});

test("history samples use the node's disk size for percentages", () => {
  const points = [10, 20, 30].map((cpu) =>
    create(NodeMetricPointSchema, { processCpuPercent: cpu, processMemoryRssBytes: 5n, diskUsedBytes: 50n * GIB }),
  );
  expect(historySamples(points, node("a"), 2)).toEqual({ cpu: [20, 30], memory: [5, 5], disk: [50, 50] });
});

test("uptime counts on while the node beats and stops once it is lost", () => {
  expect(uptimeMillis(node("a", { beatAt: 100 }), 110_000)).toBe(70_000);
  expect(uptimeMillis(node("a", { beatAt: 100, health: NodeHealth.LOST }), 110_000)).toBe(60_000);
});
