import { type FormEvent, useState } from "react";

import { LogLevel } from "../../gen/zenith/v1/logs_pb";
import { LEVELS, levelName } from "./levels";
import type { LogParams } from "./params";

// Level applies at once; the text fields apply on Enter or Apply, so typing does not restart
// the tail on every key.
export function LogFilters({ params, onChange }: { params: LogParams; onChange: (next: LogParams) => void }) {
  const [draft, setDraft] = useState(params);
  const search = params.mode === "search";
  const field = (key: "service" | "queue" | "job" | "text") => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(draft);
  };
  return (
    <form className="logs-toolbar" onSubmit={submit} aria-label="Log filters">
      <label>
        Level
        <select
          aria-label="Level"
          value={draft.level}
          onChange={(e) => {
            const next = { ...draft, level: Number(e.target.value) as LogLevel };
            setDraft(next);
            onChange(next);
          }}
        >
          <option value={LogLevel.UNSPECIFIED}>every level</option>
          {LEVELS.map((level) => (
            <option key={level} value={level}>
              {levelName(level)} and above
            </option>
          ))}
        </select>
      </label>
      <label>
        Service
        <input aria-label="Service" {...field("service")} />
      </label>
      <label>
        Queue
        <input aria-label="Queue" {...field("queue")} />
      </label>
      <label>
        Job id
        <input aria-label="Job id" {...field("job")} />
      </label>
      <label>
        {search ? "Words" : "Text"}
        <input
          aria-label={search ? "Words" : "Text"}
          placeholder={search ? 'declined "card issuer"' : "contains, any case"}
          {...field("text")}
        />
      </label>
      {search && (
        <>
          <div className="logs-break" />
          <label>
            From
            <input
              type="datetime-local"
              aria-label="From"
              value={draft.from}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              aria-label="To"
              value={draft.to}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            />
          </label>
        </>
      )}
      <button type="submit" className="primary">
        {search ? "Search" : "Apply"}
      </button>
    </form>
  );
}
