// Pure logic of the workers page: the node list kept from the WatchNodes stream, each node's
// recent resource samples, grouping and filtering.
import {
  type Node,
  NodeChangeKind,
  NodeHealth,
  type NodeMetricPoint,
  type WatchNodesResponse,
} from "../../gen/zenith/v1/pulse_pb";
import { tsMillis } from "../../ui/format";

// One value per beat received while the page is open.
export interface ResourceSamples {
  cpu: number[];
  memory: number[];
  disk: number[];
}

export interface NodeEntry {
  node: Node;
  samples: ResourceSamples;
}

export interface NodesState {
  nodes: Map<string, NodeEntry>;
  // The last message was part of a snapshot; a snapshot message after anything else (or after
  // the stream reopened) starts the listing over.
  inSnapshot: boolean;
}

export const SAMPLE_LIMIT = 60;

export const EMPTY_NODES: NodesState = { nodes: new Map(), inSnapshot: false };

export function nodeId(node: Node): string {
  return node.beat?.identity?.nodeId ?? "";
}

// CPU in percent of one core, memory as resident bytes, disk as percent used.
export function resourcesOf(node: Node): { cpu?: number; memory?: number; disk?: number } {
  const process = node.beat?.process;
  const system = node.beat?.system;
  const diskTotal = Number(system?.diskTotalBytes ?? 0n);
  return {
    cpu: process?.cpuPercent ?? system?.cpuPercent,
    // 0 means the node did not measure it.
    memory: Number(process?.memoryRssBytes ?? 0n) || Number(system?.memoryUsedBytes ?? 0n) || undefined,
    disk: diskTotal > 0 ? (Number(system?.diskUsedBytes ?? 0n) / diskTotal) * 100 : undefined,
  };
}

function push(values: number[], value: number | undefined): number[] {
  return value === undefined ? values : [...values, value].slice(-SAMPLE_LIMIT);
}

function withBeat(previous: NodeEntry | undefined, node: Node): NodeEntry {
  const empty: ResourceSamples = { cpu: [], memory: [], disk: [] };
  const samples = previous?.samples ?? empty;
  // A health change carries the same beat again: only a new beat adds a sample.
  const sameBeat =
    previous !== undefined && tsMillis(previous.node.lastBeatAt) === tsMillis(node.lastBeatAt);
  if (sameBeat) return { node, samples };
  const now = resourcesOf(node);
  return {
    node,
    samples: { cpu: push(samples.cpu, now.cpu), memory: push(samples.memory, now.memory), disk: push(samples.disk, now.disk) },
  };
}

// The stream (re)opened: its first snapshot replaces whatever was listed.
export function streamOpened(state: NodesState): NodesState {
  return { ...state, inSnapshot: false };
}

export function applyWatch(state: NodesState, response: WatchNodesResponse): NodesState {
  const startsOver = response.snapshot && !state.inSnapshot;
  const nodes = startsOver ? new Map<string, NodeEntry>() : new Map(state.nodes);
  for (const change of response.changes) {
    if (!change.node) continue;
    const id = nodeId(change.node);
    if (change.kind === NodeChangeKind.REMOVED) {
      nodes.delete(id);
      continue;
    }
    // Samples survive a restarted listing.
    nodes.set(id, withBeat(nodes.get(id) ?? state.nodes.get(id), change.node));
  }
  return { nodes, inSnapshot: response.snapshot };
}

// A node as an API call returned it (e.g. QuietNode), ahead of the stream's update.
export function applyNode(state: NodesState, node: Node): NodesState {
  const id = nodeId(node);
  const nodes = new Map(state.nodes);
  nodes.set(id, withBeat(state.nodes.get(id), node));
  return { ...state, nodes };
}

export interface NodeFilter {
  service: string;
  language: string;
  health: NodeHealth | undefined;
}

export function matches(node: Node, filter: NodeFilter): boolean {
  const identity = node.beat?.identity;
  return (
    (!filter.service || identity?.service === filter.service) &&
    (!filter.language || identity?.language === filter.language) &&
    (filter.health === undefined || node.health === filter.health)
  );
}

export interface HealthCounts {
  healthy: number;
  late: number;
  lost: number;
}

export function healthCounts(nodes: Node[]): HealthCounts {
  const counts = { healthy: 0, late: 0, lost: 0 };
  for (const node of nodes) {
    if (node.health === NodeHealth.HEALTHY) counts.healthy++;
    else if (node.health === NodeHealth.LATE) counts.late++;
    else if (node.health === NodeHealth.LOST) counts.lost++;
  }
  return counts;
}

export interface ServiceGroup<T> extends HealthCounts {
  service: string;
  members: T[];
}

// Groups by service, ordered by service name, each group's members by node id.
export function groupByService<T>(items: T[], nodeOf: (item: T) => Node): ServiceGroup<T>[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const service = nodeOf(item).beat?.identity?.service ?? "";
    groups.set(service, [...(groups.get(service) ?? []), item]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, members]) => {
      const sorted = [...members].sort((a, b) => nodeId(nodeOf(a)).localeCompare(nodeId(nodeOf(b))));
      return { service, members: sorted, ...healthCounts(sorted.map(nodeOf)) };
    });
}

// Node counts per language, most common first; nodes that do not say count as "unknown".
export function languageCounts(nodes: Node[]): { language: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const node of nodes) {
    const language = node.beat?.identity?.language || "unknown";
    counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([language, count]) => ({ language, count }))
    .sort((a, b) => b.count - a.count || a.language.localeCompare(b.language));
}

// The per-minute history of the last `minutes`, in the units of `resourcesOf`.
export function historySamples(points: NodeMetricPoint[], node: Node, minutes: number): ResourceSamples {
  const recent = points.slice(-minutes);
  const diskTotal = Number(node.beat?.system?.diskTotalBytes ?? 0n);
  return {
    cpu: recent.map((p) => p.processCpuPercent),
    memory: recent.map((p) => Number(p.processMemoryRssBytes)),
    disk: diskTotal > 0 ? recent.map((p) => (Number(p.diskUsedBytes) / diskTotal) * 100) : [],
  };
}

// How long the process has run: its reported uptime plus the time since that beat, while it
// still beats.
export function uptimeMillis(node: Node, now: number): number | undefined {
  const uptime = node.beat?.uptime;
  if (!uptime) return undefined;
  const reported = Number(uptime.seconds) * 1000 + Math.floor(uptime.nanos / 1e6);
  const lastBeat = tsMillis(node.lastBeatAt);
  if (node.health === NodeHealth.LOST || lastBeat === undefined) return reported;
  return reported + Math.max(0, now - lastBeat);
}
