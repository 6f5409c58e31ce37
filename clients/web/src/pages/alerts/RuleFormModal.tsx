// Create or edit a rule: its condition kind and parameters, scope, timing, severity and channels.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { alerts } from "../../api/clients";
import type { Rule } from "../../gen/zenith/v1/alert_pb";
import { ErrorBox } from "../../ui/common";
import { Modal } from "../../ui/Modal";
import { FormField } from "../../ui/FormField";
import {
  CONDITION_KINDS,
  CONDITIONS,
  type ConditionKind,
  defaultParams,
  EMPTY_RULE_FORM,
  formToRule,
  RESOURCES,
  type RuleForm,
  ruleToForm,
  SEVERITIES,
  validateRule,
} from "./rules";

const SCOPE_LABEL = { queue: "Queue", service: "Service", schedule: "Schedule", none: "" } as const;

export function RuleFormModal(props: { rule?: Rule; onClose: () => void }) {
  const editing = props.rule?.spec !== undefined;
  const [form, setForm] = useState<RuleForm>(() => (props.rule?.spec ? ruleToForm(props.rule.spec) : EMPTY_RULE_FORM));
  const set = <K extends keyof RuleForm>(field: K, value: RuleForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const setParam = (name: string, value: string) => setForm((f) => ({ ...f, params: { ...f.params, [name]: value } }));
  const errors = validateRule(form);
  const shown = (name: string, value: string) => (value === "" ? undefined : errors[name]);
  const channels = useQuery({ queryKey: ["alerts", "channels"], queryFn: () => alerts.listChannels({ pageSize: 1000 }) });
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      const spec = formToRule(form);
      if (editing) await alerts.updateRule({ spec });
      else await alerts.createRule({ spec });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
      props.onClose();
    },
  });
  const condition = CONDITIONS[form.kind];
  const blocked = Object.keys(errors).length > 0 || save.isPending;

  return (
    <Modal title={editing ? `Edit rule ${form.id}` : "New rule"} onClose={props.onClose} wide>
      <form
        className="form alerts-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) save.mutate();
        }}
      >
        <div className="form-row">
          <FormField label="Id" error={shown("id", form.id)}>
            <input value={form.id} disabled={editing} onChange={(e) => set("id", e.target.value)} />
          </FormField>
          <FormField label="Condition">
            <select
              value={form.kind}
              onChange={(e) => {
                const kind = e.target.value as ConditionKind;
                setForm((f) => ({ ...f, kind, params: defaultParams(kind), scope: "" }));
              }}
            >
              {CONDITION_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {CONDITIONS[kind].label}
                </option>
              ))}
            </select>
          </FormField>
          <FormField label="Severity">
            <select value={form.severity} onChange={(e) => set("severity", Number(e.target.value))}>
              {SEVERITIES.map((severity) => (
                <option key={severity.value} value={severity.value}>
                  {severity.label}
                </option>
              ))}
            </select>
          </FormField>
        </div>
        <div className="form-row alerts-params">
          {condition.params.map((param) => (
            <FormField key={param.name} label={param.label} error={shown(param.name, form.params[param.name] ?? "")}>
              {param.type === "resource" ? (
                <select value={form.params[param.name]} onChange={(e) => setParam(param.name, e.target.value)}>
                  {RESOURCES.map((resource) => (
                    <option key={resource.value} value={resource.value}>
                      {resource.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  value={form.params[param.name] ?? ""}
                  placeholder={param.optional ? "default" : undefined}
                  onChange={(e) => setParam(param.name, e.target.value)}
                />
              )}
            </FormField>
          ))}
          {condition.scope !== "none" ? (
            <FormField label={SCOPE_LABEL[condition.scope]}>
              <input value={form.scope} placeholder={`all ${condition.scope}s`} onChange={(e) => set("scope", e.target.value)} />
            </FormField>
          ) : null}
        </div>
        <div className="form-row">
          <FormField label="Pending for" error={shown("pendingFor", form.pendingFor)}>
            <input value={form.pendingFor} onChange={(e) => set("pendingFor", e.target.value)} />
          </FormField>
          <FormField label="Repeat every" error={shown("repeatInterval", form.repeatInterval)}>
            <input value={form.repeatInterval} placeholder="4h" onChange={(e) => set("repeatInterval", e.target.value)} />
          </FormField>
          <FormField label="Labels" error={shown("labels", form.labels)}>
            <input value={form.labels} placeholder="team=ops, tier=1" onChange={(e) => set("labels", e.target.value)} />
          </FormField>
        </div>
        <FormField label="Description">
          <input value={form.description} onChange={(e) => set("description", e.target.value)} />
        </FormField>
        <fieldset className="alerts-channels">
          <legend>Channels (none checked: every channel)</legend>
          {channels.data?.channels.map((channel) => {
            const id = channel.spec?.id ?? "";
            return (
              <label key={id} className="inline">
                <input
                  type="checkbox"
                  checked={form.channels.includes(id)}
                  onChange={(e) =>
                    set("channels", e.target.checked ? [...form.channels, id] : form.channels.filter((c) => c !== id))
                  }
                />
                {id}
              </label>
            );
          })}
          {channels.data?.channels.length === 0 ? <span className="muted">No channels yet.</span> : null}
        </fieldset>
        <label className="inline">
          <input type="checkbox" checked={form.disabled} onChange={(e) => set("disabled", e.target.checked)} />
          Disabled
        </label>
        <ErrorBox error={save.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={blocked}>
            {editing ? "Save rule" : "Create rule"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
