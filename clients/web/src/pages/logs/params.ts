import type { MessageInitShape } from "@bufbuild/protobuf";

import { type LogFilterSchema, LogLevel } from "../../gen/zenith/v1/logs_pb";
import { levelName, parseLevel } from "./levels";

export type LogsMode = "tail" | "search";

// What the logs page shows, as its URL holds it (?mode=search&level=warn&job=…&text=…).
export interface LogParams {
  mode: LogsMode;
  level: LogLevel;
  service: string;
  queue: string;
  job: string;
  text: string;
  // Search mode: local date-times as a datetime-local input gives them ("2026-11-23T09:30").
  from: string;
  to: string;
}

const TEXT_KEYS = ["service", "queue", "job", "text", "from", "to"] as const;

export function readLogParams(url: URLSearchParams): LogParams {
  return {
    mode: url.get("mode") === "search" ? "search" : "tail",
    level: parseLevel(url.get("level")),
    service: url.get("service") ?? "",
    queue: url.get("queue") ?? "",
    job: url.get("job") ?? "",
    text: url.get("text") ?? "",
    from: url.get("from") ?? "",
    to: url.get("to") ?? "",
  };
}

export function writeLogParams(params: LogParams): URLSearchParams {
  const url = new URLSearchParams();
  if (params.mode === "search") url.set("mode", "search");
  if (params.level !== LogLevel.UNSPECIFIED) url.set("level", levelName(params.level));
  for (const key of TEXT_KEYS) {
    const value = params[key].trim();
    if (value) url.set(key, value);
  }
  return url;
}

export function toLogFilter(params: LogParams): MessageInitShape<typeof LogFilterSchema> {
  return {
    minLevel: params.level,
    service: params.service.trim(),
    queue: params.queue.trim(),
    jobId: params.job.trim(),
  };
}

// A datetime-local value in the browser's zone → epoch milliseconds; blank or bad → undefined.
export function localMillis(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
