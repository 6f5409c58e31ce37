import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";

import { admin } from "../../api/clients";
import { ROLE_CHOICES, roleName } from "../../api/roles";
import { holdLogin } from "../../api/session";
import type { CreateApiKeyResponse, Role } from "../../gen/zenith/v1/admin_pb";
import { CopyButton, ErrorBox } from "../../ui/common";
import { FormField } from "../../ui/FormField";
import { Modal } from "../../ui/Modal";
import { type DraftErrors, draftRequest, EMPTY_DRAFT, type KeyDraft, scopeText } from "./keys";

// Makes a key, then shows its token once: the server keeps only a hash, and closing this
// dialog forgets the token for good.
export function CreateKeyModal(props: { open: boolean; onCreated: () => void; onClose: () => void }) {
  const [draft, setDraft] = useState<KeyDraft>(EMPTY_DRAFT);
  const [errors, setErrors] = useState<DraftErrors>({});
  const create = useMutation({
    mutationFn: (request: Parameters<typeof admin.createApiKey>[0]) => admin.createApiKey(request),
    onSuccess: props.onCreated,
  });
  const set = <K extends keyof KeyDraft>(field: K, value: KeyDraft[K]) => setDraft({ ...draft, [field]: value });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = draftRequest(draft);
    if ("errors" in checked) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    create.mutate(checked.request);
  };

  if (create.data) return <TokenOnce created={create.data} onClose={props.onClose} />;
  return (
    <Modal title="Create an API key" onClose={props.onClose}>
      <form className="key-form" onSubmit={submit} noValidate>
        {props.open && (
          <p className="notice warn-notice">
            This is the server's first key: once it exists, every caller needs one, this browser too. Make it an admin
            key and sign in with it.
          </p>
        )}
        <FormField label="Name" error={errors.name}>
          <input value={draft.name} placeholder="billing dashboard" onChange={(e) => set("name", e.target.value)} />
        </FormField>
        <FormField label="Role" hint={<span className="muted">{ROLE_CHOICES.find((c) => c.role === draft.role)?.hint}</span>}>
          <select value={draft.role} onChange={(e) => set("role", Number(e.target.value) as Role)}>
            {ROLE_CHOICES.map((choice) => (
              <option key={choice.role} value={choice.role}>
                {choice.label}
              </option>
            ))}
          </select>
        </FormField>
        <div className="key-form-row">
          <FormField label="Queues" hint={<span className="muted">comma-separated; empty: every queue</span>}>
            <input value={draft.queues} placeholder="emails, sms" onChange={(e) => set("queues", e.target.value)} />
          </FormField>
          <FormField label="Queue prefix">
            <input value={draft.queuePrefix} placeholder="billing." onChange={(e) => set("queuePrefix", e.target.value)} />
          </FormField>
        </div>
        <div className="key-form-row">
          <FormField label="Requests per second" error={errors.requestsPerSecond}>
            <input
              inputMode="numeric"
              value={draft.requestsPerSecond}
              placeholder="unlimited"
              onChange={(e) => set("requestsPerSecond", e.target.value)}
            />
          </FormField>
          <FormField label="Expires after" error={errors.ttl}>
            <input value={draft.ttl} placeholder="never, or 90d" onChange={(e) => set("ttl", e.target.value)} />
          </FormField>
        </div>
        <label className="inline key-form-check">
          <input type="checkbox" checked={draft.payloads} onChange={(e) => set("payloads", e.target.checked)} /> Sees job
          payloads and results (unchecked: they come back hidden)
        </label>
        <ErrorBox error={create.error} />
        <div className="modal-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create key
          </button>
        </div>
      </form>
    </Modal>
  );
}

function TokenOnce({ created, onClose }: { created: CreateApiKeyResponse; onClose: () => void }) {
  // The first key ends open mode: the server then refuses this browser too, but the token
  // must stay on screen until it is copied.
  useEffect(() => holdLogin(), []);
  const key = created.key;
  return (
    <Modal title={`Key "${key?.name ?? ""}" created`} onClose={onClose}>
      <p className="notice warn-notice" role="status">
        Copy the token now: it is shown this once. The server keeps only a hash of it, and closing this dialog forgets it.
      </p>
      <div className="token-once">
        <code className="mono" data-testid="new-token">
          {created.token}
        </code>
        <CopyButton text={created.token} label="Copy token" />
      </div>
      {key && (
        <p className="muted">
          {roleName(key.role)} · {scopeText(key)} · payloads {key.payloads ? "shown" : "hidden"} · id{" "}
          <span className="mono">{key.id}</span>
        </p>
      )}
      <div className="modal-actions">
        <button type="button" className="primary" onClick={onClose}>
          Done, I have copied it
        </button>
      </div>
    </Modal>
  );
}
