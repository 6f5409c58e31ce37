// Sorting the queues table by any column.
import { durationMillis } from "../../ui/format";
import type { QueueSnapshot } from "../../gen/zenith/v1/queue_pb";
import type { StateSlug } from "../queue/states";

export type SortKey = "name" | StateSlug | "oldest" | "enqueuedRate" | "completedRate" | "failedRate";
export type SortDirection = "asc" | "desc";
export interface Sort {
  key: SortKey;
  direction: SortDirection;
}

function value(snapshot: QueueSnapshot, key: SortKey): number | string {
  const queue = snapshot.queue;
  switch (key) {
    case "name":
      return queue?.name ?? "";
    case "oldest":
      return durationMillis(queue?.oldestPendingAge) ?? -1;
    case "enqueuedRate":
      return snapshot.rates?.enqueued ?? 0;
    case "completedRate":
      return snapshot.rates?.completed ?? 0;
    case "failedRate":
      return snapshot.rates?.failed ?? 0;
    default:
      return Number(queue?.counts?.[key] ?? 0n);
  }
}

// A sorted copy; ties keep name order so rows do not jump between snapshots.
export function sortQueues(snapshots: QueueSnapshot[], sort: Sort): QueueSnapshot[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  const byName = (a: QueueSnapshot, b: QueueSnapshot) => (a.queue?.name ?? "").localeCompare(b.queue?.name ?? "");
  return [...snapshots].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    const order = typeof x === "string" || typeof y === "string" ? String(x).localeCompare(String(y)) : x - y;
    return order !== 0 ? sign * order : byName(a, b);
  });
}

// Clicking the sorted column flips it; another column starts with its most useful direction.
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: key === "name" ? "asc" : "desc" };
}
