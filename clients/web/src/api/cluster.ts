// The cluster (environment) the console works on, kept in this browser's local storage and sent
// as `x-zenith-cluster` with every call; none chosen means the server's default cluster.
const KEY = "zenith.cluster";

export const CLUSTER_HEADER = "x-zenith-cluster";

const listeners = new Set<() => void>();

export function selectedCluster(): string | null {
  return typeof localStorage === "undefined" ? null : localStorage.getItem(KEY);
}

export function selectCluster(name: string | null): void {
  if (name === selectedCluster()) return;
  if (name) localStorage.setItem(KEY, name);
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function subscribeCluster(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
