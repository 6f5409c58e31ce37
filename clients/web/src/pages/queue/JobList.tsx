import { useVirtualizer } from "@tanstack/react-virtual";
import { type MouseEvent, useEffect, useRef } from "react";
import { Link } from "react-router";

import type { Job } from "../../gen/zenith/v1/job_pb";
import { formatRelative, formatTime, tsMillis } from "../../ui/format";
import { isSelected, type Selection } from "./selection";
import type { StateInfo } from "./states";

const ROW_HEIGHT = 34;

export interface JobListProps {
  queue: string;
  state: StateInfo;
  jobs: Job[];
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  selection: Selection;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
  now: number;
}

function Time({ ms, now }: { ms: number | undefined; now: number }) {
  return <span title={formatTime(ms)}>{formatRelative(ms, now)}</span>;
}

function JobRow(props: { job: Job; listProps: JobListProps; index: number; top: number }) {
  const { job, listProps } = props;
  const selected = isSelected(listProps.selection, job.id);
  const onClick = (e: MouseEvent) => {
    // Links and the checkbox do their own thing; the rest of the row toggles it.
    if (e.target instanceof HTMLElement && e.target.closest("a, input")) return;
    listProps.onToggle(job.id);
  };
  return (
    <div
      role="row"
      aria-rowindex={props.index + 2}
      aria-selected={selected}
      className={selected ? "job-row selected" : "job-row"}
      data-job-id={job.id}
      style={{ transform: `translateY(${props.top}px)` }}
      onClick={onClick}
    >
      <span role="gridcell">
        <input type="checkbox" aria-label={`Select ${job.id}`} checked={selected} onChange={() => listProps.onToggle(job.id)} />
      </span>
      <span role="gridcell" className="mono">
        <Link to={`/jobs/${encodeURIComponent(job.id)}?queue=${encodeURIComponent(listProps.queue)}`}>{job.id}</Link>
      </span>
      <span role="gridcell" title={job.type}>
        {job.type}
      </span>
      <span role="gridcell" className="num">
        {job.attempts}/{job.maxAttempts}
      </span>
      <span role="gridcell">
        <Time ms={tsMillis(job.createdAt)} now={listProps.now} />
      </span>
      <span role="gridcell">
        <Time ms={tsMillis(job[listProps.state.when.field])} now={listProps.now} />
      </span>
      <span role="gridcell" className="job-error" title={job.lastError}>
        {job.lastError}
      </span>
    </div>
  );
}

// The loaded jobs in a fixed-height scroller that renders only the rows in view, and asks for
// the next page when the row after the last one scrolls into view.
export function JobList(props: JobListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const count = props.jobs.length + (props.hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length > 0 ? items[items.length - 1].index : -1;
  const { hasMore, loadingMore, loadMore } = props;
  useEffect(() => {
    // A filtered page may come back empty with a token, so this runs again once it lands.
    if (hasMore && !loadingMore && lastIndex >= props.jobs.length) loadMore();
  }, [hasMore, loadingMore, loadMore, lastIndex, props.jobs.length]);

  const allSelected = props.jobs.length > 0 && props.jobs.every((job) => isSelected(props.selection, job.id));
  return (
    <div className="job-grid" role="grid" aria-label="Jobs" aria-rowcount={props.hasMore ? -1 : props.jobs.length + 1} aria-multiselectable>
      <div role="row" aria-rowindex={1} className="job-row job-head">
        <span role="columnheader">
          <input type="checkbox" aria-label="Select all loaded jobs" checked={allSelected} disabled={props.jobs.length === 0} onChange={props.onToggleAll} />
        </span>
        <span role="columnheader">ID</span>
        <span role="columnheader">Type</span>
        <span role="columnheader" className="num">Attempts</span>
        <span role="columnheader">Created</span>
        <span role="columnheader">{props.state.when.label}</span>
        <span role="columnheader">Last error</span>
      </div>
      <div ref={scroller} className="job-scroll" tabIndex={0}>
        <div className="job-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) =>
            item.index < props.jobs.length ? (
              <JobRow key={props.jobs[item.index].id} job={props.jobs[item.index]} listProps={props} index={item.index} top={item.start} />
            ) : (
              <div key="more" role="row" className="job-row job-more" style={{ transform: `translateY(${item.start}px)` }}>
                <span role="gridcell">Loading more…</span>
              </div>
            ),
          )}
        </div>
      </div>
    </div>
  );
}
