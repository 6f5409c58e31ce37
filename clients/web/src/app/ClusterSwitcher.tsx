import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";

import { admin } from "../api/clients";
import { selectCluster, selectedCluster, subscribeCluster } from "../api/cluster";

// Instance-wide queries (who this browser is, the clusters) stay when the cluster changes.
export const CLUSTERS_KEY = ["instance", "clusters"];
const INSTANCE_QUERIES = new Set(["session", "instance"]);

// The cluster in use, for keying what must start over when it changes (streams, pages).
export function useCluster(): string | null {
  return useSyncExternalStore(subscribeCluster, selectedCluster);
}

// A picker in the sidebar, shown when the server fronts more than one cluster. Switching
// refetches every cluster's query; the page itself is remounted by the layout.
export function ClusterSwitcher() {
  const client = useQueryClient();
  const chosen = useCluster();
  const clusters = useQuery({
    queryKey: CLUSTERS_KEY,
    queryFn: () => admin.listClusters({}),
    staleTime: 60_000,
  }).data?.clusters;
  const known = clusters?.some((cluster) => cluster.name === chosen);
  // A remembered cluster the server no longer has would fail every call: use the default.
  useEffect(() => {
    if (clusters && chosen && !known) selectCluster(null);
  }, [clusters, chosen, known]);
  if (!clusters || clusters.length < 2) return null;
  const current = known ? chosen : clusters.find((cluster) => cluster.default)?.name;
  const change = (name: string) => {
    const fallback = clusters.find((cluster) => cluster.default)?.name;
    selectCluster(name === fallback ? null : name);
    void client.resetQueries({
      predicate: (query) => !INSTANCE_QUERIES.has(String(query.queryKey[0])),
    });
  };
  return (
    <label className="cluster-switcher">
      <span>Cluster</span>
      <select aria-label="Cluster" value={current ?? ""} onChange={(e) => change(e.target.value)}>
        {clusters.map((cluster) => (
          <option key={cluster.name} value={cluster.name}>
            {cluster.name}
            {cluster.reachable ? "" : " (unreachable)"}
          </option>
        ))}
      </select>
    </label>
  );
}
