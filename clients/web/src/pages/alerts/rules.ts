// The rule editor's model: every condition kind with its parameters, and the form <-> spec mapping.
import type { MessageInitShape } from "@bufbuild/protobuf";

import { NodeResource, type RuleSpec, type RuleSpecSchema, Severity } from "../../gen/zenith/v1/alert_pb";
import { durationFieldText, durationFromSeconds, durationText, parseDuration } from "../../ui/duration";

export type ConditionKind = NonNullable<RuleSpec["condition"]["case"]>;
type ParamType = "count" | "percent" | "duration" | "resource";

interface ParamDef {
  name: string;
  label: string;
  type: ParamType;
  // How the value reads in the rules table; "{}" is the value.
  phrase: string;
  // Empty means "server default" for optional parameters.
  optional?: boolean;
}

export const CONDITIONS: Record<ConditionKind, { label: string; scope: ScopeKind; params: ParamDef[] }> = {
  backlog: { label: "Backlog", scope: "queue", params: [{ name: "above", label: "Pending jobs above", type: "count", phrase: "more than {} pending" }] },
  oldestPending: {
    label: "Oldest pending job",
    scope: "queue",
    params: [{ name: "above", label: "Waiting longer than", type: "duration", phrase: "oldest waits over {}" }],
  },
  failureRate: {
    label: "Failure rate",
    scope: "queue",
    params: [
      { name: "abovePercent", label: "Failed above %", type: "percent", phrase: "over {}% failed" },
      { name: "window", label: "Window", type: "duration", optional: true, phrase: "in {}" },
      { name: "minVolume", label: "Minimum finished", type: "count", optional: true, phrase: "min {} finished" },
    ],
  },
  deadGrowth: {
    label: "Dead jobs growth",
    scope: "queue",
    params: [
      { name: "above", label: "New dead jobs above", type: "count", optional: true, phrase: "more than {} new dead" },
      { name: "window", label: "Window", type: "duration", optional: true, phrase: "in {}" },
    ],
  },
  healthyNodes: {
    label: "Healthy nodes",
    scope: "service",
    params: [{ name: "below", label: "Healthy nodes below", type: "count", phrase: "fewer than {} healthy" }],
  },
  nodeLost: { label: "Node lost", scope: "service", params: [] },
  nodeResource: {
    label: "Node resource",
    scope: "service",
    params: [
      { name: "resource", label: "Resource", type: "resource", phrase: "{}" },
      { name: "abovePercent", label: "Use above %", type: "percent", phrase: "above {}%" },
    ],
  },
  scheduleMissed: { label: "Schedule missed", scope: "schedule", params: [] },
  scheduleFailing: {
    label: "Schedule failing",
    scope: "schedule",
    params: [{ name: "consecutive", label: "Consecutive failed runs", type: "count", optional: true, phrase: "{} failed in a row" }],
  },
  archiveLag: {
    label: "Archive lag",
    scope: "none",
    params: [{ name: "above", label: "Lag above", type: "duration", phrase: "lag over {}" }],
  },
};

export const CONDITION_KINDS = Object.keys(CONDITIONS) as ConditionKind[];

export type ScopeKind = "queue" | "service" | "schedule" | "none";

export const SEVERITIES: { value: Severity; label: string; tone: "info" | "warn" | "bad" }[] = [
  { value: Severity.INFO, label: "info", tone: "info" },
  { value: Severity.WARNING, label: "warning", tone: "warn" },
  { value: Severity.CRITICAL, label: "critical", tone: "bad" },
];

// UNSPECIFIED reads as WARNING, as the server treats it.
export function severityOf(value: Severity) {
  return SEVERITIES.find((s) => s.value === value) ?? SEVERITIES[1];
}

export const RESOURCES: { value: NodeResource; label: string }[] = [
  { value: NodeResource.CPU, label: "CPU" },
  { value: NodeResource.MEMORY, label: "memory" },
  { value: NodeResource.DISK, label: "disk" },
];

export interface RuleForm {
  id: string;
  description: string;
  severity: Severity;
  kind: ConditionKind;
  params: Record<string, string>;
  // The scope's name: a queue, service or schedule depending on the kind; empty means all.
  scope: string;
  pendingFor: string;
  repeatInterval: string;
  channels: string[];
  disabled: boolean;
  labels: string;
}

export const EMPTY_RULE_FORM: RuleForm = {
  id: "",
  description: "",
  severity: Severity.WARNING,
  kind: "backlog",
  params: { above: "1000" },
  scope: "",
  pendingFor: "0s",
  repeatInterval: "",
  channels: [],
  disabled: false,
  labels: "",
};

// "team=ops, tier=1" -> { team: "ops", tier: "1" }; undefined when a part has no "=".
export function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const at = part.indexOf("=");
    if (at <= 0) return undefined;
    labels[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return labels;
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

function paramText(type: ParamType, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (type === "duration") return durationFieldText(value as Parameters<typeof durationFieldText>[0]);
  return String(value);
}

export function ruleToForm(spec: RuleSpec): RuleForm {
  const kind = spec.condition.case ?? "backlog";
  const value = (spec.condition.value ?? {}) as Record<string, unknown>;
  const params: Record<string, string> = {};
  for (const param of CONDITIONS[kind].params) params[param.name] = paramText(param.type, value[param.name]);
  return {
    id: spec.id,
    description: spec.description,
    severity: spec.severity === Severity.UNSPECIFIED ? Severity.WARNING : spec.severity,
    kind,
    params,
    scope: spec.queue || spec.service || spec.schedule,
    pendingFor: spec.pendingFor ? durationText(Number(spec.pendingFor.seconds)) : "0s",
    repeatInterval: durationFieldText(spec.repeatInterval),
    channels: [...spec.channels],
    disabled: spec.disabled,
    labels: labelsText(spec.labels),
  };
}

export type RuleErrors = Partial<Record<string, string>>;

function paramError(def: ParamDef, text: string): string | undefined {
  if (text.trim() === "") return def.optional ? undefined : "Required";
  switch (def.type) {
    case "count":
      return /^\d+$/.test(text.trim()) ? undefined : "A whole number";
    case "percent": {
      const n = Number(text);
      return n > 0 && n <= 100 ? undefined : "Above 0, at most 100";
    }
    case "duration":
      return parseDuration(text) === undefined ? "A duration such as 30s, 5m or 1h" : undefined;
    case "resource":
      return undefined;
  }
}

// Errors by field name (params by their own name); empty when the form can be sent.
export function validateRule(form: RuleForm): RuleErrors {
  const errors: RuleErrors = {};
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(form.id)) errors.id = "1-100 of A-Z a-z 0-9 _ . : -";
  for (const def of CONDITIONS[form.kind].params) {
    const error = paramError(def, form.params[def.name] ?? "");
    if (error) errors[def.name] = error;
  }
  if (parseDuration(form.pendingFor || "0") === undefined) errors.pendingFor = "A duration such as 0s or 5m";
  if (form.repeatInterval.trim() !== "" && !(Number(parseDuration(form.repeatInterval)) >= 1)) {
    errors.repeatInterval = "A duration such as 30m or 4h";
  }
  if (parseLabels(form.labels) === undefined) errors.labels = "key=value, separated by commas";
  return errors;
}

function paramValue(def: ParamDef, text: string): unknown {
  if (text.trim() === "") return undefined;
  switch (def.type) {
    case "count":
      // int64 fields are bigint; healthy_nodes.below and consecutive are int32.
      return def.name === "below" || def.name === "consecutive" ? Number(text) : BigInt(text.trim());
    case "percent":
      return Number(text);
    case "duration":
      return durationFromSeconds(parseDuration(text) ?? 0);
    case "resource":
      return Number(text);
  }
}

// The spec to send; call only when validateRule found nothing.
export function formToRule(form: RuleForm): MessageInitShape<typeof RuleSpecSchema> {
  const value: Record<string, unknown> = {};
  for (const def of CONDITIONS[form.kind].params) {
    const param = paramValue(def, form.params[def.name] ?? "");
    if (param !== undefined) value[def.name] = param;
  }
  const scopeKind = CONDITIONS[form.kind].scope;
  const scope = form.scope.trim();
  return {
    id: form.id.trim(),
    description: form.description,
    severity: form.severity,
    labels: parseLabels(form.labels) ?? {},
    queue: scopeKind === "queue" ? scope : "",
    service: scopeKind === "service" ? scope : "",
    schedule: scopeKind === "schedule" ? scope : "",
    pendingFor: durationFromSeconds(parseDuration(form.pendingFor || "0") ?? 0),
    repeatInterval: form.repeatInterval.trim() === "" ? undefined : durationFromSeconds(parseDuration(form.repeatInterval) ?? 0),
    channels: form.channels,
    disabled: form.disabled,
    condition: { case: form.kind, value } as MessageInitShape<typeof RuleSpecSchema>["condition"],
  };
}

// One line for the rules table: "Backlog: pending jobs above 1000".
export function conditionText(spec: RuleSpec): string {
  const kind = spec.condition.case;
  if (!kind) return "—";
  const value = spec.condition.value as unknown as Record<string, unknown>;
  const parts = CONDITIONS[kind].params
    .map((def) => {
      const text =
        def.type === "resource"
          ? (RESOURCES.find((r) => r.value === value[def.name])?.label ?? "")
          : paramText(def.type, value[def.name]);
      return text ? def.phrase.replace("{}", text) : "";
    })
    .filter((part) => part !== "");
  return parts.length ? `${CONDITIONS[kind].label}: ${parts.join(", ")}` : CONDITIONS[kind].label;
}

// "queue e2e.q", "all services", "archive".
export function scopeText(spec: RuleSpec): string {
  const kind = spec.condition.case ? CONDITIONS[spec.condition.case].scope : "none";
  if (spec.queue) return `queue ${spec.queue}`;
  if (spec.service) return `service ${spec.service}`;
  if (spec.schedule) return `schedule ${spec.schedule}`;
  return kind === "none" ? "archive" : `all ${kind === "queue" ? "queues" : kind === "service" ? "services" : "schedules"}`;
}

// Parameters a freshly chosen kind starts with: a resource needs a choice, the rest start empty.
export function defaultParams(kind: ConditionKind): Record<string, string> {
  const params: Record<string, string> = {};
  for (const def of CONDITIONS[kind].params) {
    params[def.name] = def.type === "resource" ? String(NodeResource.CPU) : "";
  }
  return params;
}
