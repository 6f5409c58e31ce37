// Pause, resume and purge: the queue-wide actions both queue pages offer.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { queues } from "../../api/clients";
import type { BulkOperation } from "../../gen/zenith/v1/bulk_pb";
import type { Queue } from "../../gen/zenith/v1/queue_pb";
import { Confirm } from "../../ui/Confirm";
import { ErrorBox } from "../../ui/common";
import { formatCount } from "../../ui/format";
import { purgeableCount } from "./states";

export function PauseButton({ queue }: { queue: Queue }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: async (pause: boolean) => {
      if (pause) await queues.pauseQueue({ name: queue.name });
      else await queues.resumeQueue({ name: queue.name });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["queue", queue.name] }),
  });
  const paused = queue.paused;
  return (
    <>
      <button
        type="button"
        className="queue-action"
        disabled={toggle.isPending}
        aria-label={`${paused ? "Resume" : "Pause"} ${queue.name}`}
        onClick={() => toggle.mutate(!paused)}
      >
        {paused ? "Resume" : "Pause"}
      </button>
      {toggle.error && <ErrorBox error={toggle.error} />}
    </>
  );
}

export function PurgeButton(props: { queue: Queue; onStarted: (operation: BulkOperation) => void }) {
  // The count is taken when the dialog opens, so the title does not change under the operator.
  const [asking, setAsking] = useState<bigint | null>(null);
  const count = purgeableCount(props.queue.counts);
  const purge = useMutation({
    mutationFn: () => queues.purgeQueue({ queue: props.queue.name }),
    onSuccess: (response) => {
      setAsking(null);
      if (response.operation) props.onStarted(response.operation);
    },
  });
  return (
    <>
      <button
        type="button"
        className="queue-action"
        disabled={count === 0n}
        aria-label={`Purge ${props.queue.name}`}
        onClick={() => setAsking(count)}
      >
        Purge
      </button>
      {asking !== null && (
        <Confirm
          title={`Purge ${formatCount(asking)} ${asking === 1n ? "job" : "jobs"} from ${props.queue.name}?`}
          confirmLabel="Purge"
          danger
          busy={purge.isPending}
          onConfirm={() => purge.mutate()}
          onCancel={() => setAsking(null)}
        >
          <p>
            Deletes every job of the queue that is not running: pending, scheduled, retry, dead, completed and
            cancelled. Active jobs finish as they are. Jobs stay searchable in the archive.
          </p>
          <ErrorBox error={purge.error} />
        </Confirm>
      )}
    </>
  );
}
