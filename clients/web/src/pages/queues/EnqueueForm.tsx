import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";

import { queues } from "../../api/clients";
import { ErrorBox } from "../../ui/common";
import { type EnqueueFields, toJobSpec, validate } from "./enqueue";

const EMPTY: EnqueueFields = { queue: "", type: "", payload: "{}", delaySeconds: "", priority: "", uniqueKey: "" };

function Field(props: {
  label: string;
  name: keyof EnqueueFields;
  fields: EnqueueFields;
  error: string | undefined;
  showError: boolean;
  onChange: (name: keyof EnqueueFields, value: string) => void;
  placeholder?: string;
  list?: string;
  inputMode?: "numeric";
}) {
  const invalid = props.showError && props.error !== undefined;
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        value={props.fields[props.name]}
        placeholder={props.placeholder}
        list={props.list}
        inputMode={props.inputMode}
        aria-invalid={invalid}
        onChange={(e) => props.onChange(props.name, e.target.value)}
      />
      <span className="field-error">{invalid ? props.error : " "}</span>
    </label>
  );
}

// Adds one job by hand: the payload is checked as JSON on every keystroke.
export function EnqueueForm({ queueNames }: { queueNames: string[] }) {
  const [fields, setFields] = useState<EnqueueFields>(EMPTY);
  const [touched, setTouched] = useState<Set<keyof EnqueueFields>>(new Set());
  const errors = validate(fields);
  const enqueue = useMutation({ mutationFn: (f: EnqueueFields) => queues.enqueue({ job: toJobSpec(f) }) });
  const onChange = (name: keyof EnqueueFields, value: string) => {
    setFields((current) => ({ ...current, [name]: value }));
    setTouched((current) => new Set(current).add(name));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (Object.keys(errors).length === 0) enqueue.mutate(fields);
  };
  const common = { fields, onChange };
  const job = enqueue.data?.job;
  return (
    <form className="panel form enqueue-form" aria-label="Enqueue a job" onSubmit={submit}>
      <h2>Enqueue a job</h2>
      <div className="form-row">
        <Field {...common} label="Queue" name="queue" list="queue-names" placeholder="emails"
          error={errors.queue} showError={touched.has("queue")} />
        <Field {...common} label="Type" name="type" placeholder="send_welcome"
          error={errors.type} showError={touched.has("type")} />
        <Field {...common} label="Delay (seconds)" name="delaySeconds" placeholder="0" inputMode="numeric"
          error={errors.delaySeconds} showError />
        <Field {...common} label="Priority" name="priority" placeholder="0" inputMode="numeric"
          error={errors.priority} showError />
        <Field {...common} label="Unique key" name="uniqueKey" placeholder="optional"
          error={undefined} showError={false} />
      </div>
      <datalist id="queue-names">
        {queueNames.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <label>
        Payload (JSON)
        <textarea
          name="payload"
          rows={4}
          spellCheck={false}
          value={fields.payload}
          aria-invalid={errors.payload !== undefined}
          onChange={(e) => onChange("payload", e.target.value)}
        />
        <span className="field-error" role={errors.payload ? "alert" : undefined}>
          {errors.payload ?? " "}
        </span>
      </label>
      <div className="enqueue-foot">
        <button type="submit" className="primary" disabled={Object.keys(errors).length > 0 || enqueue.isPending}>
          Enqueue
        </button>
        {job && (
          <span className="enqueue-result" role="status">
            {enqueue.data?.duplicate ? "Already queued: " : "Enqueued "}
            <Link to={`/jobs/${encodeURIComponent(job.id)}?queue=${encodeURIComponent(job.queue)}`} className="mono">
              {job.id}
            </Link>
          </span>
        )}
      </div>
      <ErrorBox error={enqueue.error} />
    </form>
  );
}
