// Create or edit a schedule, with a live preview of its next fire times.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { cron } from "../../api/clients";
import type { Schedule } from "../../gen/zenith/v1/cron_pb";
import { ErrorBox } from "../../ui/common";
import { FormField } from "../../ui/FormField";
import { Modal } from "../../ui/Modal";
import {
  EMPTY_SCHEDULE_FORM,
  formToSpec,
  MISFIRE_OPTIONS,
  OVERLAP_OPTIONS,
  type ScheduleForm,
  specToForm,
  validateForm,
} from "./model";
import { PreviewList, usePreview } from "./Preview";

// The browser's IANA zones, offered while typing; the server checks whatever is typed.
const TIME_ZONES = ["UTC", ...Intl.supportedValuesOf("timeZone").filter((zone) => zone !== "UTC")];

export function ScheduleFormModal(props: {
  schedule?: Schedule;
  onClose: () => void;
  onSaved: (id: string) => void;
}) {
  const editing = props.schedule?.spec !== undefined;
  const [form, setForm] = useState<ScheduleForm>(() =>
    props.schedule?.spec ? specToForm(props.schedule.spec) : EMPTY_SCHEDULE_FORM,
  );
  const set = <K extends keyof ScheduleForm>(field: K, value: ScheduleForm[K]) =>
    setForm((current) => ({ ...current, [field]: value }));
  const errors = validateForm(form);
  // An empty required field blocks saving quietly; typed values get their message at once.
  const shown = (field: keyof ScheduleForm) => (form[field] === "" ? undefined : errors[field]);
  const preview = usePreview(form);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      const spec = formToSpec(form, props.schedule?.spec);
      const response = editing
        ? await cron.updateSchedule({ spec })
        : await cron.createSchedule({ spec });
      return response.schedule?.spec?.id ?? form.id;
    },
    onSuccess: async (id) => {
      await queryClient.invalidateQueries({ queryKey: ["cron"] });
      props.onSaved(id);
    },
  });
  const blocked =
    Object.keys(errors).length > 0 || preview.query.isError || !preview.settled || save.isPending;

  return (
    <Modal title={editing ? `Edit schedule ${form.id}` : "New schedule"} onClose={props.onClose} wide>
      <form
        className="form cron-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) save.mutate();
        }}
      >
        <div className="cron-form-columns">
          <div className="cron-form-fields">
            <div className="form-row">
              <FormField label="Id" error={shown("id")}>
                <input
                  value={form.id}
                  disabled={editing}
                  aria-invalid={errors.id !== undefined}
                  onChange={(e) => set("id", e.target.value)}
                />
              </FormField>
              <FormField label="Cadence">
                <select value={form.cadence} onChange={(e) => set("cadence", e.target.value === "interval" ? "interval" : "cron")}>
                  <option value="cron">Cron expression</option>
                  <option value="interval">Fixed interval</option>
                </select>
              </FormField>
            </div>
            <div className="form-row">
              {form.cadence === "cron" ? (
                <FormField label="Cron expression" error={shown("cron")}>
                  <input
                    className="mono"
                    value={form.cron}
                    aria-invalid={errors.cron !== undefined || preview.query.isError}
                    onChange={(e) => set("cron", e.target.value)}
                  />
                </FormField>
              ) : (
                <FormField label="Interval (e.g. 90s, 1h)" error={shown("interval")}>
                  <input
                    value={form.interval}
                    aria-invalid={errors.interval !== undefined || preview.query.isError}
                    onChange={(e) => set("interval", e.target.value)}
                  />
                </FormField>
              )}
              <FormField label="Time zone">
                <input
                  value={form.timeZone}
                  placeholder="UTC"
                  list="cron-time-zones"
                  onChange={(e) => set("timeZone", e.target.value)}
                />
              </FormField>
            </div>
            <div className="form-row">
              <FormField label="Queue" error={shown("queue")}>
                <input value={form.queue} aria-invalid={errors.queue !== undefined} onChange={(e) => set("queue", e.target.value)} />
              </FormField>
              <FormField label="Job type" error={shown("type")}>
                <input value={form.type} aria-invalid={errors.type !== undefined} onChange={(e) => set("type", e.target.value)} />
              </FormField>
            </div>
            <FormField label="Payload (JSON, optional)" error={shown("payload")}>
              <textarea
                rows={3}
                value={form.payload}
                aria-invalid={errors.payload !== undefined}
                onChange={(e) => set("payload", e.target.value)}
              />
            </FormField>
            <div className="form-row">
              <FormField label="Priority" error={shown("priority")}>
                <input value={form.priority} onChange={(e) => set("priority", e.target.value)} />
              </FormField>
              <FormField label="Max attempts" error={shown("maxAttempts")}>
                <input value={form.maxAttempts} placeholder="server default" onChange={(e) => set("maxAttempts", e.target.value)} />
              </FormField>
              <FormField label="Timeout" error={shown("timeout")}>
                <input value={form.timeout} placeholder="none" onChange={(e) => set("timeout", e.target.value)} />
              </FormField>
              <FormField label="Jitter" error={shown("jitter")}>
                <input value={form.jitter} placeholder="none" onChange={(e) => set("jitter", e.target.value)} />
              </FormField>
            </div>
            <div className="form-row">
              <FormField label="When the previous run is unfinished">
                <select value={form.overlap} onChange={(e) => set("overlap", Number(e.target.value))}>
                  {OVERLAP_OPTIONS.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              </FormField>
              <FormField label="Missed fire times">
                <select value={form.misfire} onChange={(e) => set("misfire", Number(e.target.value))}>
                  {MISFIRE_OPTIONS.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              </FormField>
            </div>
            <FormField label="Description">
              <input value={form.description} onChange={(e) => set("description", e.target.value)} />
            </FormField>
          </div>
          <PreviewList preview={preview} />
          <datalist id="cron-time-zones">
            {TIME_ZONES.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </div>
        <ErrorBox error={save.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={blocked}>
            {editing ? "Save" : "Create"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
