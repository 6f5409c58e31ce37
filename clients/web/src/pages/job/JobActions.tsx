import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { queues } from "../../api/clients";
import type { Job } from "../../gen/zenith/v1/job_pb";
import { ErrorBox } from "../../ui/common";
import { Confirm } from "../../ui/Confirm";
import { type JobAction, actionsFor } from "./states";

const LABELS: Record<JobAction, string> = {
  retry: "Retry",
  promote: "Promote",
  cancel: "Cancel…",
  delete: "Delete…",
};

const TITLES: Record<JobAction, string> = {
  retry: "Pending now, attempts counted afresh",
  promote: "Pending now, attempts count on",
  cancel: "Cancel the job (an active job's worker is asked to stop)",
  delete: "Remove the job from its queue",
};

async function run(action: JobAction, job: Job, reason: string): Promise<string> {
  const target = { id: job.id, queue: job.queue };
  switch (action) {
    case "retry":
      await queues.retryJob(target);
      return "Retried: the job is pending again.";
    case "promote":
      await queues.promoteJob(target);
      return "Promoted: the job is pending now.";
    case "cancel": {
      const response = await queues.cancelJob({ ...target, reason });
      return response.requested ? "Cancel requested: the worker has been asked to stop." : "Cancelled.";
    }
    case "delete":
      await queues.deleteJob(target);
      return "Deleted.";
  }
}

// The buttons for what the job's state allows; cancel and delete ask first.
export function JobActions({ job, live }: { job: Job; live: boolean }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState<"cancel" | "delete" | null>(null);
  const [reason, setReason] = useState("");
  const mutation = useMutation({
    mutationFn: (action: JobAction) => run(action, job, reason),
    onSettled: () => client.invalidateQueries({ queryKey: ["job", job.id] }),
    onSuccess: () => setConfirming(null),
  });
  const actions = actionsFor(job.state, live);

  return (
    <div className="job-actions">
      <div className="page-actions">
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={action === "delete" ? "danger" : action === "retry" ? "primary" : undefined}
            title={TITLES[action]}
            disabled={mutation.isPending}
            onClick={() => {
              mutation.reset();
              if (action === "cancel" || action === "delete") setConfirming(action);
              else mutation.mutate(action);
            }}
          >
            {LABELS[action]}
          </button>
        ))}
      </div>
      <div className="job-action-result" aria-live="polite">
        {mutation.isSuccess && !confirming && <span className="muted">{mutation.data}</span>}
        {!confirming && <ErrorBox error={mutation.error} />}
      </div>
      {confirming === "delete" && (
        <Confirm
          title="Delete 1 job?"
          confirmLabel="Delete"
          danger
          busy={mutation.isPending}
          onConfirm={() => mutation.mutate("delete")}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Removes job <span className="mono">{job.id}</span> from queue {job.queue} and frees its unique key. The
            archive keeps its history.
          </p>
          <ErrorBox error={mutation.error} />
        </Confirm>
      )}
      {confirming === "cancel" && (
        <Confirm
          title="Cancel 1 job?"
          confirmLabel="Cancel job"
          danger
          busy={mutation.isPending}
          onConfirm={() => mutation.mutate("cancel")}
          onCancel={() => setConfirming(null)}
        >
          <label>
            Reason (optional, shown with the job)
            <input value={reason} maxLength={1024} onChange={(e) => setReason(e.target.value)} />
          </label>
          <ErrorBox error={mutation.error} />
        </Confirm>
      )}
    </div>
  );
}
