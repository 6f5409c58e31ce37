import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { queues } from "../../api/clients";
import type { Job } from "../../gen/zenith/v1/job_pb";
import { Confirm } from "../../ui/Confirm";
import { download, ErrorBox } from "../../ui/common";
import { formatCount } from "../../ui/format";
import { describeTally, runBatch, startBulk } from "./batch";
import { BulkProgress } from "./BulkProgress";
import { jobsToCsv, jobsToJson } from "./exportJobs";
import { isEmpty, NONE, type Selection, selectedIds } from "./selection";
import { type ActionInfo, actionsFor, bulkOperationAllowed, confirmLabel, confirmTitle, type StateInfo } from "./states";

interface Props {
  queue: string;
  state: StateInfo;
  filter: string;
  jobs: Job[];
  selection: Selection;
  onSelect: (selection: Selection) => void;
  // Reads the list and counts again, after an action changed jobs or on request.
  reload: () => void;
}

interface Pending {
  action: ActionInfo;
  count: bigint;
}

// Matching jobs, counted by the server with the list's state and filter.
function useMatchingCount(props: Props, enabled: boolean) {
  return useQuery({
    queryKey: ["count", props.queue, props.state.slug, props.filter],
    queryFn: async () => (await queues.countJobs({ queue: props.queue, state: props.state.state, filter: props.filter })).count,
    enabled,
  });
}

function ExportButtons(props: { queue: string; state: StateInfo; jobs: Job[]; scope: string }) {
  const base = `${props.queue}-${props.state.slug}-jobs`;
  const disabled = props.jobs.length === 0;
  return (
    <span className="bulk-group" aria-label="Export">
      <span className="muted">Export {props.scope}</span>
      <button type="button" disabled={disabled} onClick={() => download(`${base}.csv`, "text/csv", jobsToCsv(props.jobs))}>
        CSV
      </button>
      <button type="button" disabled={disabled} onClick={() => download(`${base}.json`, "application/json", jobsToJson(props.jobs))}>
        JSON
      </button>
    </span>
  );
}

// What is selected, the actions valid for the state, their confirmation and their outcome.
export function BulkBar(props: Props) {
  const { selection } = props;
  const loadedIds = props.jobs.map((job) => job.id);
  const picked = selectedIds(selection, loadedIds);
  const bulkAllowed = bulkOperationAllowed(props.state.state);
  const matching = useMatchingCount(props, bulkAllowed && !isEmpty(selection));
  const [pending, setPending] = useState<Pending | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [operation, setOperation] = useState<{ id: string; title: string } | null>(null);

  const byIds = useMutation({
    mutationFn: (action: ActionInfo) => runBatch(action.action, props.queue, picked),
    onSuccess: (counts, action) => {
      setOutcome(describeTally(action.past, counts));
      props.onSelect(NONE);
      props.reload();
    },
    onSettled: () => setPending(null),
  });
  const byFilter = useMutation({
    mutationFn: (action: ActionInfo) => startBulk(action.action, props.queue, props.state.state, props.filter),
    onSuccess: (response, action) => {
      if (response.operation) {
        setOperation({ id: response.operation.id, title: `${action.verb}: every matching ${props.state.slug} job` });
      }
      props.onSelect(NONE);
    },
    onSettled: () => setPending(null),
  });

  const selectedCount = selection.kind === "matching" ? matching.data : BigInt(picked.length);
  const ask = (action: ActionInfo) => {
    setOutcome(null);
    if (selectedCount !== undefined) setPending({ action, count: selectedCount });
  };
  const confirm = () => {
    if (!pending) return;
    if (selection.kind === "matching") byFilter.mutate(pending.action);
    else byIds.mutate(pending.action);
  };
  const pickedSet = new Set(picked);
  const exportJobs = picked.length > 0 ? props.jobs.filter((job) => pickedSet.has(job.id)) : props.jobs;
  const canSelectMatching =
    bulkAllowed && selection.kind === "ids" && selection.ids.size > 0 && matching.data !== undefined && matching.data > BigInt(selection.ids.size);

  return (
    <>
      <div className="bulk-bar" role="toolbar" aria-label="Selection">
        <span className="bulk-summary" role="status">
          {selection.kind === "matching"
            ? `All ${formatCount(matching.data)} matching selected`
            : selection.ids.size > 0
              ? `${formatCount(selection.ids.size)} selected`
              : `${formatCount(props.jobs.length)} loaded`}
        </span>
        {canSelectMatching && (
          <button type="button" className="ghost link" onClick={() => props.onSelect({ kind: "matching" })}>
            Select all {formatCount(matching.data)} matching
          </button>
        )}
        {!isEmpty(selection) && (
          <button type="button" className="ghost" onClick={() => props.onSelect(NONE)} title="Esc">
            Clear
          </button>
        )}
        <span className="spacer" />
        <button type="button" className="ghost" onClick={props.reload} title="The list stays put while counts move; reload it">
          Reload
        </button>
        <span className="bulk-group">
          {actionsFor(props.state.state).map((action) => (
            <button
              key={action.action}
              type="button"
              className={action.danger ? "danger-outline" : undefined}
              disabled={isEmpty(selection) || selectedCount === undefined}
              onClick={() => ask(action)}
            >
              {action.verb}
            </button>
          ))}
        </span>
        <ExportButtons
          queue={props.queue}
          state={props.state}
          jobs={exportJobs}
          scope={picked.length > 0 ? `${formatCount(picked.length)} selected` : "list"}
        />
      </div>
      {outcome && (
        <div className="notice" role="status">
          {outcome}
        </div>
      )}
      <ErrorBox error={byIds.error ?? byFilter.error ?? matching.error} />
      {operation && (
        <BulkProgress
          key={operation.id}
          id={operation.id}
          title={operation.title}
          onFinished={props.reload}
          onDismiss={() => setOperation(null)}
        />
      )}
      {pending && (
        <Confirm
          title={confirmTitle(pending.action, pending.count, props.state)}
          confirmLabel={confirmLabel(pending.action, pending.count)}
          danger={pending.action.danger}
          busy={byIds.isPending || byFilter.isPending}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          <p>
            {selection.kind === "matching"
              ? `The server walks every ${props.state.slug} job of ${props.queue}${props.filter ? " matching the filter" : ""} and acts on each; jobs that moved on meanwhile are skipped.`
              : `Acts on the ${formatCount(picked.length)} selected jobs by id; jobs that moved on meanwhile are counted, not changed.`}
          </p>
          {props.filter && selection.kind === "matching" && <pre className="code">{props.filter}</pre>}
        </Confirm>
      )}
    </>
  );
}
