import type { SetURLSearchParams } from "react-router";

import type { Node } from "../../gen/zenith/v1/pulse_pb";
import { HEALTH, type HealthName } from "./health";
import type { NodeFilter } from "./nodes";

function isHealthName(value: string | null): value is HealthName {
  return value === "healthy" || value === "late" || value === "lost";
}

// Filters live in the URL, so a filtered view can be shared or reloaded.
export function filterFromParams(params: URLSearchParams): NodeFilter {
  const health = params.get("health");
  return {
    service: params.get("service") ?? "",
    language: params.get("language") ?? "",
    health: isHealthName(health) ? HEALTH[health].value : undefined,
  };
}

function distinct(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))].sort();
}

export function Filters(props: { nodes: Node[]; params: URLSearchParams; onChange: SetURLSearchParams }) {
  const services = distinct(props.nodes.map((n) => n.beat?.identity?.service ?? ""));
  const languages = distinct(props.nodes.map((n) => n.beat?.identity?.language ?? ""));
  const set = (key: string, value: string) =>
    props.onChange(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  const select = (key: string, label: string, options: string[]) => {
    const value = props.params.get(key) ?? "";
    return (
      <label className="inline">
        {label}
        <select aria-label={label} value={value} onChange={(e) => set(key, e.target.value)}>
          <option value="">all</option>
          {/* A value from the URL stays selectable before any node of it is seen. */}
          {distinct([...options, value]).map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
    );
  };
  return (
    <div className="workers-filters">
      {select("service", "Service", services)}
      {select("language", "Language", languages)}
      {select("health", "Health", Object.keys(HEALTH))}
    </div>
  );
}
