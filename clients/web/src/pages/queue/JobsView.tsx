import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { Code, ConnectError } from "@connectrpc/connect";
import { type KeyboardEvent, useCallback, useMemo, useState } from "react";

import { queues } from "../../api/clients";
import { ListOrder } from "../../gen/zenith/v1/queue_pb";
import { Empty, ErrorBox } from "../../ui/common";
import { BulkBar } from "./BulkBar";
import { FilterBar } from "./FilterBar";
import { JobList } from "./JobList";
import { useNow } from "../../ui/useNow";
import { isTextEntry, NONE, type Selection, selectIds, toggle } from "./selection";
import type { StateInfo } from "./states";

const PAGE_SIZE = 200;

function refusedFilter(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.InvalidArgument;
}

// One state's jobs under one filter: the paged list, its selection and what can be done with it.
// The parent keys it by state and filter, so a new list starts with nothing selected.
export function JobsView(props: { queue: string; state: StateInfo; filter: string; onFilter: (filter: string) => void }) {
  const { queue, state, filter } = props;
  const client = useQueryClient();
  const now = useNow(5000);
  const list = useInfiniteQuery({
    queryKey: ["jobs", queue, state.slug, filter],
    queryFn: ({ pageParam, signal }) =>
      queues.listJobs(
        {
          queue,
          state: state.state,
          filter,
          pageSize: PAGE_SIZE,
          pageToken: pageParam,
          order: state.newestFirst ? ListOrder.NEWEST_FIRST : ListOrder.OLDEST_FIRST,
        },
        { signal },
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    retry: (failures, error) => !refusedFilter(error) && failures < 1,
  });
  const jobs = useMemo(() => list.data?.pages.flatMap((page) => page.jobs) ?? [], [list.data]);
  const loadedIds = useMemo(() => jobs.map((job) => job.id), [jobs]);
  const [selection, setSelection] = useState<Selection>(NONE);
  const { fetchNextPage } = list;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const reload = () => {
    void client.invalidateQueries({ queryKey: ["jobs", queue] });
    void client.invalidateQueries({ queryKey: ["count", queue] });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    // Text fields keep Ctrl+A, and a dialog's Esc closes the dialog, not the selection.
    if (isTextEntry(e.target) || (e.target instanceof Element && e.target.closest("dialog"))) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "a") {
      e.preventDefault();
      setSelection(selectIds(loadedIds));
    } else if (e.key === "Escape") {
      setSelection(NONE);
    }
  };
  const allLoadedSelected = selection.kind === "matching" || (loadedIds.length > 0 && loadedIds.every((id) => selection.ids.has(id)));

  return (
    <>
      <FilterBar filter={filter} error={list.error} onApply={props.onFilter} />
      <div className="jobs-view" onKeyDown={onKeyDown}>
        <BulkBar
          queue={queue}
          state={state}
          filter={filter}
          jobs={jobs}
          selection={selection}
          onSelect={setSelection}
          reload={reload}
        />
        {list.error && !refusedFilter(list.error) && <ErrorBox error={list.error} />}
        {list.isPending ? (
          <div className="jobs-placeholder">
            <Empty>Loading jobs…</Empty>
          </div>
        ) : jobs.length === 0 && !list.hasNextPage ? (
          <div className="jobs-placeholder">
            <Empty>
              {list.error ? "No jobs to show." : `No ${state.slug} jobs${filter ? " match the filter" : ""}.`}
            </Empty>
          </div>
        ) : (
          <JobList
            queue={queue}
            state={state}
            jobs={jobs}
            hasMore={list.hasNextPage}
            loadingMore={list.isFetchingNextPage}
            loadMore={loadMore}
            selection={selection}
            onToggle={(id) => setSelection((current) => toggle(current, id, loadedIds))}
            onToggleAll={() => setSelection(allLoadedSelected ? NONE : selectIds(loadedIds))}
            now={now}
          />
        )}
      </div>
    </>
  );
}
