// The audit page's filters, kept in the URL, and how a call's method is shown.
export interface AuditFilters {
  principal: string;
  rpc: string;
  target: string;
  failuresOnly: boolean;
}

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  return {
    principal: params.get("principal") ?? "",
    rpc: params.get("rpc") ?? "",
    target: params.get("target") ?? "",
    failuresOnly: params.get("failures") === "1",
  };
}

export function filtersToParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.principal.trim()) params.set("principal", filters.principal.trim());
  if (filters.rpc.trim()) params.set("rpc", filters.rpc.trim());
  if (filters.target.trim()) params.set("target", filters.target.trim());
  if (filters.failuresOnly) params.set("failures", "1");
  return params;
}

// What the server filters by: a full method (`/zenith.v1.QueueService/PurgeQueue`) or a service
// (`zenith.v1.QueueService`). People type `QueueService/PurgeQueue` or `QueueService`, so the
// package is added when it is missing.
export function rpcFilter(text: string): string {
  const trimmed = text.trim().replace(/^\/+/, "");
  if (!trimmed) return "";
  const qualified = trimmed.startsWith("zenith.") ? trimmed : `zenith.v1.${trimmed}`;
  return qualified.includes("/") ? `/${qualified}` : qualified;
}

// `/zenith.v1.QueueService/PurgeQueue` → `QueueService/PurgeQueue`.
export function shortMethod(rpc: string): string {
  const [service = "", method = ""] = rpc.replace(/^\//, "").split("/");
  const name = service.slice(service.lastIndexOf(".") + 1);
  return method ? `${name}/${method}` : name;
}
