import { useState } from "react";
import { Link } from "react-router";

import type { BulkOperation } from "../../gen/zenith/v1/bulk_pb";
import { type QueueSnapshot, QueueSource } from "../../gen/zenith/v1/queue_pb";
import { Badge } from "../../ui/common";
import { durationMillis, formatCount, formatDuration, formatRate } from "../../ui/format";
import { PauseButton, PurgeButton } from "../queue/QueueControls";
import { STATES, type StateSlug } from "../queue/states";
import { nextSort, type Sort, type SortKey, sortQueues } from "./sort";

interface Column {
  key: SortKey;
  label: string;
  title?: string;
  // Fitted to the label, so the whole table fits 1280 px without truncating a header.
  width?: number;
}

const STATE_WIDTHS: Record<StateSlug, number> = {
  pending: 62,
  scheduled: 76,
  active: 54,
  retry: 48,
  dead: 48,
  completed: 80,
  cancelled: 76,
};

const COLUMNS: Column[] = [
  ...STATES.map((s) => ({ key: s.slug, label: s.label, width: STATE_WIDTHS[s.slug] })),
  { key: "oldest", label: "Oldest", width: 58, title: "How long the job first in line has been pending" },
  { key: "enqueuedRate", label: "In/s", width: 62, title: "Jobs enqueued per second over the last minute" },
  { key: "completedRate", label: "Done/s", width: 62, title: "Jobs completed per second over the last minute" },
  { key: "failedRate", label: "Failed/s", width: 66, title: "Failed attempts per second over the last minute" },
];

function SortHeader(props: { column: Column; sort: Sort; onSort: (key: SortKey) => void; numeric: boolean }) {
  const active = props.sort.key === props.column.key;
  return (
    <th
      className={props.numeric ? "sortable num" : "sortable"}
      aria-sort={active ? (props.sort.direction === "asc" ? "ascending" : "descending") : "none"}
      title={props.column.title}
      onClick={() => props.onSort(props.column.key)}
    >
      {props.column.label}
      <span className="sort-mark">{active ? (props.sort.direction === "asc" ? "▲" : "▼") : ""}</span>
    </th>
  );
}

// Only what differs from a running Zenith queue gets a badge, to keep rows quiet.
function Status({ snapshot }: { snapshot: QueueSnapshot }) {
  const queue = snapshot.queue;
  if (queue?.source === QueueSource.EXTERNAL) {
    return <Badge tone="info">{queue.external?.driver || "external"}</Badge>;
  }
  return queue?.paused ? <Badge tone="warn">paused</Badge> : null;
}

function QueueRow(props: { snapshot: QueueSnapshot; onPurgeStarted: (operation: BulkOperation) => void }) {
  const { queue, rates } = props.snapshot;
  if (!queue) return null;
  const external = queue.source === QueueSource.EXTERNAL;
  // External queues come without rates: they show "—", not a made-up zero.
  const rateValues = [rates?.enqueued, rates?.completed, rates?.failed];
  return (
    <tr data-queue={queue.name}>
      <td className="queue-name" title={queue.name}>
        {external ? <span>{queue.name}</span> : <Link to={`/queues/${encodeURIComponent(queue.name)}`}>{queue.name}</Link>}{" "}
        <Status snapshot={props.snapshot} />
      </td>
      {STATES.map((s) => (
        <td key={s.slug} className="num" data-count={s.slug}>
          {formatCount(queue.counts?.[s.slug] ?? 0n)}
        </td>
      ))}
      <td className="num">{queue.oldestPendingAge ? formatDuration(durationMillis(queue.oldestPendingAge)) : "—"}</td>
      {rateValues.map((rate, i) => (
        <td key={i} className="num">
          {formatRate(rate)}
        </td>
      ))}
      <td className="queue-actions">
        {external ? (
          <span className="muted" title={`Reported by ${queue.external?.reportedBy ?? "a node"}`}>
            read-only
          </span>
        ) : (
          <>
            <PauseButton queue={queue} />
            <PurgeButton queue={queue} onStarted={props.onPurgeStarted} />
          </>
        )}
      </td>
    </tr>
  );
}

// An external queue may share its name with a Zenith queue or another system's queue.
function rowKey({ queue }: QueueSnapshot): string {
  return [queue?.source, queue?.external?.driver, queue?.external?.connection, queue?.name].join("/");
}

export function QueueTable(props: { snapshots: QueueSnapshot[]; onPurgeStarted: (operation: BulkOperation) => void }) {
  const [sort, setSort] = useState<Sort>({ key: "name", direction: "asc" });
  const onSort = (key: SortKey) => setSort((current) => nextSort(current, key));
  return (
    <div className="panel queues-panel">
      <table className="queues-table" aria-label="Queues">
        <colgroup>
          <col />
          {COLUMNS.map((c) => (
            <col key={c.key} style={{ width: c.width }} />
          ))}
          <col className="col-actions" />
        </colgroup>
        <thead>
          <tr>
            <SortHeader column={{ key: "name", label: "Queue" }} sort={sort} onSort={onSort} numeric={false} />
            {COLUMNS.map((c) => (
              <SortHeader key={c.key} column={c} sort={sort} onSort={onSort} numeric />
            ))}
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {sortQueues(props.snapshots, sort).map((snapshot) => (
            <QueueRow key={rowKey(snapshot)} snapshot={snapshot} onPurgeStarted={props.onPurgeStarted} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
