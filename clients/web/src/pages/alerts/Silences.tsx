// Silences: the active and pending ones (optionally the expired too), a form for a new one, expire.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { alerts } from "../../api/clients";
import { type Silence, SilenceState } from "../../gen/zenith/v1/alert_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { formatRelative, formatTime, tsMillis } from "../../ui/format";
import { Modal } from "../../ui/Modal";
import { useNow } from "../../ui/useNow";
import { silenceEnd, type SilenceForm, silenceMatchers, validateSilence } from "./silences";

const STATE: Record<SilenceState, { label: string; tone: "ok" | "warn" | "muted" }> = {
  [SilenceState.UNSPECIFIED]: { label: "—", tone: "muted" },
  [SilenceState.PENDING]: { label: "pending", tone: "warn" },
  [SilenceState.ACTIVE]: { label: "active", tone: "ok" },
  [SilenceState.EXPIRED]: { label: "expired", tone: "muted" },
};

function SilenceModal(props: { onClose: () => void }) {
  const [form, setForm] = useState<SilenceForm>({ ruleId: "", queue: "", service: "", ends: "duration", duration: "2h", endsAt: "", comment: "" });
  const set = <K extends keyof SilenceForm>(field: K, value: SilenceForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const error = validateSilence(form);
  const rules = useQuery({ queryKey: ["alerts", "rules"], queryFn: () => alerts.listRules({ pageSize: 1000 }) });
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      alerts.createSilence({
        spec: { ruleId: form.ruleId, queue: form.queue.trim(), service: form.service.trim(), comment: form.comment.trim(), ...silenceEnd(form) },
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["alerts"] });
      props.onClose();
    },
  });
  return (
    <Modal title="New silence" onClose={props.onClose}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (!error) create.mutate();
        }}
      >
        <p className="muted">Holds back notifications of alerts matching every matcher given; the alerts are still listed.</p>
        <div className="form-row">
          <label>
            Rule
            <select value={form.ruleId} onChange={(e) => set("ruleId", e.target.value)}>
              <option value="">any rule</option>
              {rules.data?.rules.map((rule) => (
                <option key={rule.spec?.id} value={rule.spec?.id}>
                  {rule.spec?.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Queue
            <input value={form.queue} placeholder="any" onChange={(e) => set("queue", e.target.value)} />
          </label>
          <label>
            Service
            <input value={form.service} placeholder="any" onChange={(e) => set("service", e.target.value)} />
          </label>
        </div>
        <div className="form-row">
          <label>
            Lasts
            <select value={form.ends} onChange={(e) => set("ends", e.target.value === "at" ? "at" : "duration")}>
              <option value="duration">for a duration</option>
              <option value="at">until a time</option>
            </select>
          </label>
          {form.ends === "duration" ? (
            <label>
              Duration
              <input value={form.duration} onChange={(e) => set("duration", e.target.value)} />
            </label>
          ) : (
            <label>
              Ends at
              <input type="datetime-local" value={form.endsAt} onChange={(e) => set("endsAt", e.target.value)} />
            </label>
          )}
        </div>
        <label>
          Comment
          <input value={form.comment} onChange={(e) => set("comment", e.target.value)} />
        </label>
        <span className="field-error alerts-form-error">{form.comment || form.queue || form.ruleId || form.service ? (error ?? "") : ""}</span>
        <ErrorBox error={create.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={error !== undefined || create.isPending}>
            Create silence
          </button>
        </div>
      </form>
    </Modal>
  );
}

function SilenceRow({ silence, now }: { silence: Silence; now: number }) {
  const queryClient = useQueryClient();
  const expire = useMutation({
    mutationFn: () => alerts.expireSilence({ id: silence.id }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });
  const ends = tsMillis(silence.spec?.endsAt);
  const state = STATE[silence.state];
  return (
    <tr data-silence={silence.id}>
      <td>
        <Badge tone={state.tone}>{state.label}</Badge>
      </td>
      <td className="mono">{silenceMatchers(silence.spec)}</td>
      <td>{formatTime(tsMillis(silence.spec?.startsAt))}</td>
      <td title={formatTime(ends)}>
        {formatTime(ends)} <span className="muted">{formatRelative(ends, now)}</span>
      </td>
      <td className="alerts-summary" title={silence.spec?.comment}>
        {silence.spec?.comment}
      </td>
      <td>{silence.spec?.author}</td>
      <td className="alerts-row-actions">
        {silence.state !== SilenceState.EXPIRED ? (
          <button type="button" disabled={expire.isPending} onClick={() => expire.mutate()}>
            Expire
          </button>
        ) : null}
        {expire.error ? <ErrorBox error={expire.error} /> : null}
      </td>
    </tr>
  );
}

export function Silences() {
  const now = useNow(1000);
  const [includeExpired, setIncludeExpired] = useState(false);
  const [creating, setCreating] = useState(false);
  const list = useQuery({
    queryKey: ["alerts", "silences", includeExpired],
    queryFn: () => alerts.listSilences({ includeExpired, pageSize: 500 }),
    refetchInterval: 5000,
  });
  const rows = list.data?.silences ?? [];
  return (
    <div className="panel">
      <div className="alerts-toolbar">
        <label className="inline">
          <input type="checkbox" checked={includeExpired} onChange={(e) => setIncludeExpired(e.target.checked)} />
          Show expired
        </label>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New silence
        </button>
      </div>
      <ErrorBox error={list.error} />
      {list.isPending ? (
        <Empty>Loading…</Empty>
      ) : rows.length === 0 ? (
        <Empty>No silences.</Empty>
      ) : (
        <table aria-label="Silences">
          <thead>
            <tr>
              <th>State</th>
              <th>Matchers</th>
              <th>Starts</th>
              <th>Ends</th>
              <th>Comment</th>
              <th>Author</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((silence) => (
              <SilenceRow key={silence.id} silence={silence} now={now} />
            ))}
          </tbody>
        </table>
      )}
      {creating ? <SilenceModal onClose={() => setCreating(false)} /> : null}
    </div>
  );
}
