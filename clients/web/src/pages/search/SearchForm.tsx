import { type FormEvent, useState } from "react";

import type { JobState } from "../../gen/zenith/v1/job_pb";
import { JOB_STATES, stateName } from "../job/states";
import { SINCE_CHOICES, type SearchParams, splitList } from "./query";

// The query and its filters; the search runs when submitted, so the URL holds what is shown.
export function SearchForm({ initial, onSearch }: { initial: SearchParams; onSearch: (search: SearchParams) => void }) {
  const [q, setQ] = useState(initial.q);
  const [queues, setQueues] = useState(initial.queues.join(", "));
  const [types, setTypes] = useState(initial.types.join(", "));
  const [states, setStates] = useState<JobState[]>(initial.states);
  const [since, setSince] = useState(initial.since);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch({ q: q.trim(), queues: splitList(queues), types: splitList(types), states, since });
  };
  const toggle = (state: JobState) =>
    setStates((current) => (current.includes(state) ? current.filter((s) => s !== state) : [...current, state]));

  return (
    <form className="panel form search-form" onSubmit={submit} role="search">
      <div className="search-query">
        <input
          aria-label="Query"
          className="mono"
          value={q}
          placeholder={'timeout   "user@example.com"   payload.email = "a@b.c" AND state = "dead"'}
          onChange={(e) => setQ(e.target.value)}
        />
        <button type="submit" className="primary">
          Search
        </button>
      </div>
      <div className="search-filters">
        <label>
          Queues
          <input value={queues} placeholder="any, or emails, billing" onChange={(e) => setQueues(e.target.value)} />
        </label>
        <label>
          Types
          <input value={types} placeholder="any, or send_email" onChange={(e) => setTypes(e.target.value)} />
        </label>
        <label>
          Created
          <select value={since} onChange={(e) => setSince(e.target.value)} aria-label="Created">
            {SINCE_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="search-states">
          <legend>States (none: any)</legend>
          {JOB_STATES.map((state) => (
            <label key={state} className="inline">
              <input type="checkbox" checked={states.includes(state)} onChange={() => toggle(state)} />
              {stateName(state)}
            </label>
          ))}
        </fieldset>
      </div>
    </form>
  );
}
