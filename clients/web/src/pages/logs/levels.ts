import { LogLevel, type LogRecord } from "../../gen/zenith/v1/logs_pb";
import { tsMillis } from "../../ui/format";

type Tone = "ok" | "warn" | "bad" | "info" | "muted";

export const LEVELS: LogLevel[] = [LogLevel.TRACE, LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];

// Unspecified means info (logs.proto).
export function levelName(level: LogLevel): string {
  return level === LogLevel.UNSPECIFIED ? "info" : (LogLevel[level] ?? "info").toLowerCase();
}

export function levelTone(level: LogLevel): Tone {
  if (level === LogLevel.ERROR) return "bad";
  if (level === LogLevel.WARN) return "warn";
  if (level === LogLevel.INFO || level === LogLevel.UNSPECIFIED) return "info";
  return "muted";
}

export function parseLevel(name: string | null): LogLevel {
  const level = LEVELS.find((candidate) => levelName(candidate) === name);
  return level ?? LogLevel.UNSPECIFIED;
}

// The writer's time, or when the server received the line when the writer gave none.
export function recordMillis(record: LogRecord): number | undefined {
  return tsMillis(record.time) ?? tsMillis(record.receivedAt);
}
