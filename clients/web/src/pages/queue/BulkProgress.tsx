import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

import { queues } from "../../api/clients";
import { BulkOperationStatus, type BulkOperation } from "../../gen/zenith/v1/bulk_pb";
import { Badge, ErrorBox } from "../../ui/common";
import { formatCount } from "../../ui/format";
import "./queue.css";

const STATUS: Record<BulkOperationStatus, { label: string; tone: "ok" | "warn" | "bad" | "info" | "muted" }> = {
  [BulkOperationStatus.UNSPECIFIED]: { label: "unknown", tone: "muted" },
  [BulkOperationStatus.RUNNING]: { label: "running", tone: "info" },
  [BulkOperationStatus.SUCCEEDED]: { label: "done", tone: "ok" },
  [BulkOperationStatus.CANCELLED]: { label: "cancelled", tone: "warn" },
  [BulkOperationStatus.FAILED]: { label: "failed", tone: "bad" },
};

function running(operation: BulkOperation | undefined): boolean {
  return !operation || operation.status === BulkOperationStatus.RUNNING;
}

// Follows a server-side bulk operation by polling it until it ends, then calls `onFinished`
// once so the caller can refresh what the operation changed.
export function BulkProgress(props: { id: string; title: string; onFinished: () => void; onDismiss: () => void }) {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: ["bulk-operation", props.id],
    queryFn: async () => (await queues.getBulkOperation({ id: props.id })).operation,
    refetchInterval: (q) => (running(q.state.data) ? 500 : false),
  });
  const cancel = useMutation({
    mutationFn: () => queues.cancelBulkOperation({ id: props.id }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["bulk-operation", props.id] }),
  });
  const operation = query.data;
  const finished = useRef(false);
  const onFinished = useRef(props.onFinished);
  onFinished.current = props.onFinished;
  useEffect(() => {
    if (operation && !running(operation) && !finished.current) {
      finished.current = true;
      onFinished.current();
    }
  }, [operation]);

  const status = STATUS[operation?.status ?? BulkOperationStatus.UNSPECIFIED];
  const total = Number(operation?.total ?? 0n);
  const examined = Number(operation?.examined ?? 0n);
  return (
    <section className="bulk-progress panel" aria-label="Bulk operation">
      <div className="bulk-progress-head">
        <strong>{props.title}</strong>
        <Badge tone={status.tone}>{status.label}</Badge>
        <span className="spacer" />
        {running(operation) ? (
          <button type="button" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            Stop
          </button>
        ) : (
          <button type="button" className="ghost" onClick={props.onDismiss}>
            Dismiss
          </button>
        )}
      </div>
      <progress
        max={Math.max(total, 1)}
        value={running(operation) ? examined : Math.max(total, 1)}
        aria-label="Progress"
      />
      <div className="bulk-progress-numbers">
        <span>
          processed <b>{formatCount(examined)}</b> / {formatCount(total)}
        </span>
        <span>
          matched <b>{formatCount(operation?.matched)}</b>
        </span>
        <span>
          done <b data-testid="bulk-done">{formatCount(operation?.done)}</b>
        </span>
        <span>
          skipped <b>{formatCount(operation?.skipped)}</b>
        </span>
      </div>
      {operation?.error && <div className="error">{operation.error}</div>}
      <ErrorBox error={query.error ?? cancel.error} />
    </section>
  );
}
