import { Link } from "react-router";

import type { LogRecord } from "../../gen/zenith/v1/logs_pb";
import { Empty } from "../../ui/common";
import { LogLine } from "../logs/LogLine";
import "../logs/logs.css";

// The job's archived log lines (GetJob include_logs), oldest first.
export function JobLogs(props: { id: string; records: LogRecord[]; truncated: boolean }) {
  const searchAll = `/logs?mode=search&job=${encodeURIComponent(props.id)}`;
  if (props.records.length === 0) {
    return (
      <Empty>
        No log lines for this job yet. Lines reach the archive within moments; <Link to={searchAll}>search logs</Link>.
      </Empty>
    );
  }
  return (
    <>
      <div className="log-lines no-job job-logs" aria-label="Job logs">
        {props.records.map((record, index) => (
          <LogLine key={record.id || index} record={record} showJob={false} />
        ))}
      </div>
      {props.truncated && (
        <p className="muted">
          Only the first {props.records.length} lines are shown. <Link to={searchAll}>Search all of this job's logs</Link>.
        </p>
      )}
    </>
  );
}
