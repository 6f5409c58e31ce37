import { Code, ConnectError } from "@connectrpc/connect";
import { type FormEvent, useState } from "react";

// The filter language box (FILTER.md). The server is the judge: a filter it refuses comes back
// as INVALID_ARGUMENT with the position, shown right under the box. Its parent is keyed by the
// applied filter, so the draft starts afresh whenever the URL's filter changes.
export function FilterBar(props: { filter: string; error: unknown; onApply: (filter: string) => void }) {
  const [draft, setDraft] = useState(props.filter);
  const refused = props.error instanceof ConnectError && props.error.code === Code.InvalidArgument;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onApply(draft.trim());
  };
  return (
    <form className="filter-bar" role="search" onSubmit={submit}>
      <input
        className="mono"
        aria-label="Filter"
        placeholder={'Filter, e.g. error : "timeout" AND attempts >= 3'}
        value={draft}
        spellCheck={false}
        aria-invalid={refused}
        aria-describedby="filter-error"
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit" className="primary">
        Apply
      </button>
      <button
        type="button"
        disabled={draft === "" && props.filter === ""}
        onClick={() => {
          setDraft("");
          props.onApply("");
        }}
      >
        Clear
      </button>
      <div id="filter-error" className="filter-error" role={refused ? "alert" : undefined}>
        {refused && props.error instanceof ConnectError ? `Invalid filter: ${props.error.rawMessage}` : ""}
      </div>
    </form>
  );
}
