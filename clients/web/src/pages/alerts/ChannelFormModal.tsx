// Create or edit a notification channel. Secret fields are write-only: they start empty, show
// whether a value is stored, and an empty one keeps it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { alerts } from "../../api/clients";
import type { Channel } from "../../gen/zenith/v1/alert_pb";
import { Badge, ErrorBox } from "../../ui/common";
import { Modal } from "../../ui/Modal";
import {
  CHANNEL_KIND_IDS,
  CHANNEL_KINDS,
  type ChannelForm,
  type ChannelKind,
  channelToForm,
  EMPTY_CHANNEL_FORM,
  formToChannel,
  SMTP_SECURITY,
  validateChannel,
} from "./channels";
import { FormField } from "../../ui/FormField";
import { SEVERITIES } from "./rules";

export function ChannelFormModal(props: { channel?: Channel; onClose: () => void }) {
  const editing = props.channel?.spec !== undefined;
  const [form, setForm] = useState<ChannelForm>(() =>
    props.channel?.spec ? channelToForm(props.channel.spec) : EMPTY_CHANNEL_FORM,
  );
  // Only secrets of the kind the channel already has are stored.
  const secretsSet = editing && form.kind === props.channel?.spec?.kind.case ? (props.channel?.secretsSet ?? []) : [];
  const set = <K extends keyof ChannelForm>(field: K, value: ChannelForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const setField = (name: string, value: string) => setForm((f) => ({ ...f, fields: { ...f.fields, [name]: value } }));
  const errors = validateChannel(form, secretsSet);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      const spec = formToChannel(form);
      if (editing) await alerts.updateChannel({ spec });
      else await alerts.createChannel({ spec });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
      props.onClose();
    },
  });
  const blocked = Object.keys(errors).length > 0 || save.isPending;

  return (
    <Modal title={editing ? `Edit channel ${form.id}` : "New channel"} onClose={props.onClose} wide>
      <form
        className="form alerts-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) save.mutate();
        }}
      >
        <div className="form-row">
          <FormField label="Id" error={form.id === "" ? undefined : errors.id}>
            <input value={form.id} disabled={editing} onChange={(e) => set("id", e.target.value)} />
          </FormField>
          <FormField label="Kind">
            <select value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as ChannelKind, fields: {} }))}>
              {CHANNEL_KIND_IDS.map((kind) => (
                <option key={kind} value={kind}>
                  {CHANNEL_KINDS[kind].label}
                </option>
              ))}
            </select>
          </FormField>
          <FormField label="Minimum severity">
            <select value={form.minSeverity} onChange={(e) => set("minSeverity", Number(e.target.value))}>
              <option value={0}>all</option>
              {SEVERITIES.map((severity) => (
                <option key={severity.value} value={severity.value}>
                  {severity.label}
                </option>
              ))}
            </select>
          </FormField>
        </div>
        <div className="form-row alerts-channel-fields">
          {CHANNEL_KINDS[form.kind].fields.map((field) => {
            const value = form.fields[field.name] ?? "";
            const stored = field.secret && secretsSet.includes(field.wireName);
            return (
              <FormField
                key={field.name}
                label={field.label}
                error={value === "" && !stored && !editing ? undefined : errors[field.name]}
                hint={stored ? <Badge tone="ok">set</Badge> : null}
              >
                {field.name === "security" ? (
                  <select value={value} onChange={(e) => setField(field.name, e.target.value)}>
                    {SMTP_SECURITY.map((option) => (
                      <option key={option.value} value={option.value}>
                        {option.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    type={field.secret ? "password" : "text"}
                    autoComplete={field.secret ? "new-password" : "off"}
                    value={value}
                    placeholder={stored ? "stored; leave empty to keep" : field.placeholder}
                    onChange={(e) => setField(field.name, e.target.value)}
                  />
                )}
              </FormField>
            );
          })}
        </div>
        {editing ? (
          <p className="muted">
            Changing where a secret goes (a webhook URL, PagerDuty events URL or the SMTP server or user) needs the
            secret again.
          </p>
        ) : null}
        <FormField label="Description">
          <input value={form.description} onChange={(e) => set("description", e.target.value)} />
        </FormField>
        <label className="inline">
          <input type="checkbox" checked={form.disabled} onChange={(e) => set("disabled", e.target.checked)} />
          Disabled (tests still send)
        </label>
        <ErrorBox error={save.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={blocked}>
            {editing ? "Save channel" : "Create channel"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
