// Trigger, pause or resume, edit and delete one schedule: the buttons and the dialogs they open.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { cron } from "../../api/clients";
import type { Schedule, TriggerScheduleResponse } from "../../gen/zenith/v1/cron_pb";
import { ErrorBox } from "../../ui/common";
import { Confirm } from "../../ui/Confirm";
import { Modal } from "../../ui/Modal";
import { jobPath } from "./model";
import { ScheduleFormModal } from "./ScheduleFormModal";

type Dialog = "pause" | "edit" | "delete" | "triggered" | undefined;

function TriggeredModal(props: { result: TriggerScheduleResponse; onClose: () => void }) {
  const jobId = props.result.job?.id ?? props.result.run?.jobId ?? "";
  const queue = props.result.job?.queue ?? props.result.run?.queue ?? "";
  return (
    <Modal title="Schedule triggered" onClose={props.onClose}>
      <p>
        Enqueued job{" "}
        <Link className="mono" to={jobPath(jobId, queue)} aria-label="Triggered job">
          {jobId}
        </Link>{" "}
        into <span className="mono">{queue}</span>.
      </p>
    </Modal>
  );
}

function PauseModal(props: { id: string; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const pause = useMutation({
    mutationFn: () => cron.pauseSchedule({ id: props.id, reason: reason.trim() }),
    onSuccess: props.onDone,
  });
  return (
    <Modal title={`Pause ${props.id}`} onClose={props.onClose}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          pause.mutate();
        }}
      >
        <p className="muted">Fire times passed while paused are not made up.</p>
        <label>
          Reason (optional)
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <ErrorBox error={pause.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={pause.isPending}>
            Pause
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ScheduleActions(props: { schedule: Schedule; onDeleted?: () => void }) {
  const id = props.schedule.spec?.id ?? "";
  const [dialog, setDialog] = useState<Dialog>();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["cron"] });
  const close = () => setDialog(undefined);

  const trigger = useMutation({
    mutationFn: () => cron.triggerSchedule({ id }),
    onSuccess: () => {
      setDialog("triggered");
      void refresh();
    },
  });
  const resume = useMutation({ mutationFn: () => cron.resumeSchedule({ id }), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => cron.deleteSchedule({ id }),
    // Leave a deleted schedule's page before refreshing, so it never shows as not found.
    onSuccess: async () => {
      close();
      props.onDeleted?.();
      await refresh();
    },
  });
  const failure = trigger.error ?? resume.error;

  return (
    <div className="cron-actions">
      <button type="button" disabled={trigger.isPending} onClick={() => trigger.mutate()}>
        Trigger now
      </button>
      {props.schedule.paused ? (
        <button type="button" disabled={resume.isPending} onClick={() => resume.mutate()}>
          Resume
        </button>
      ) : (
        <button type="button" onClick={() => setDialog("pause")}>
          Pause
        </button>
      )}
      <button type="button" onClick={() => setDialog("edit")}>
        Edit
      </button>
      <button type="button" className="ghost" onClick={() => setDialog("delete")}>
        Delete
      </button>
      {failure ? (
        <Modal
          title={`Could not change ${id}`}
          onClose={() => {
            trigger.reset();
            resume.reset();
          }}
        >
          <ErrorBox error={failure} />
        </Modal>
      ) : null}
      {dialog === "triggered" && trigger.data ? <TriggeredModal result={trigger.data} onClose={close} /> : null}
      {dialog === "pause" ? (
        <PauseModal
          id={id}
          onClose={close}
          onDone={() => {
            close();
            void refresh();
          }}
        />
      ) : null}
      {dialog === "edit" ? <ScheduleFormModal schedule={props.schedule} onClose={close} onSaved={close} /> : null}
      {dialog === "delete" ? (
        <Confirm
          title={`Delete schedule ${id}?`}
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate()}
          onCancel={close}
        >
          <p>It stops firing. Its run history stays until it ages out.</p>
          <ErrorBox error={remove.error} />
        </Confirm>
      ) : null}
    </div>
  );
}
