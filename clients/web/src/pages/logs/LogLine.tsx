import { memo } from "react";
import { Link } from "react-router";

import type { LogRecord } from "../../gen/zenith/v1/logs_pb";
import { formatTime } from "../../ui/format";
import { levelName, levelTone, recordMillis } from "./levels";

// One log line. The message and fields are data: React text nodes only. Records never change
// once received, so a streaming list re-renders only its new lines.
export const LogLine = memo(function LogLine({ record, showJob = true }: { record: LogRecord; showJob?: boolean }) {
  const fields = Object.entries(record.fields);
  const source = [record.service, record.nodeId].filter(Boolean).join("/");
  return (
    <div className="log-line" data-testid="log-line">
      <span className="log-time mono">{formatTime(recordMillis(record))}</span>
      <span className={`log-level ${levelTone(record.level)}`}>{levelName(record.level)}</span>
      <span className="log-source muted" title={source}>
        {source || "—"}
      </span>
      {showJob && (
        <span className="log-job mono">
          {record.jobId ? (
            <Link to={jobPath(record.jobId, record.queue)} title={record.jobId}>
              {record.jobId}
            </Link>
          ) : (
            <span className="muted">—</span>
          )}
        </span>
      )}
      <span className="log-message mono">
        {record.message}
        {fields.map(([key, value]) => (
          <span key={key} className="log-field muted">{` ${key}=${value}`}</span>
        ))}
      </span>
    </div>
  );
});

export function jobPath(id: string, queue?: string): string {
  const path = `/jobs/${encodeURIComponent(id)}`;
  return queue ? `${path}?queue=${encodeURIComponent(queue)}` : path;
}
