import { useState } from "react";

// Payloads are data: every value is rendered as a React text node, never as markup. Objects and
// arrays fold; the first levels start open.
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function JsonView({ text, openLevels = 2 }: { text: string; openLevels?: number }) {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    return <pre className="code">{text}</pre>;
  }
  return (
    <div className="json code" data-testid="json-view">
      <Node value={value} depth={0} openLevels={openLevels} />
    </div>
  );
}

function Node({ value, depth, openLevels }: { value: Json; depth: number; openLevels: number }) {
  const [open, setOpen] = useState(depth < openLevels);
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="json-bool">{String(value)}</span>;
  const isArray = Array.isArray(value);
  const entries: [string, Json][] = isArray
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  const [start, end] = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return <span>{start + end}</span>;
  return (
    <span>
      <button type="button" className="json-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? "▾" : "▸"}
      </button>
      {start}
      {open ? (
        <div className="json-children">
          {entries.map(([key, item], index) => (
            <div key={key}>
              {!isArray && <span className="json-key">{JSON.stringify(key)}</span>}
              {!isArray && ": "}
              <Node value={item} depth={depth + 1} openLevels={openLevels} />
              {index < entries.length - 1 ? "," : ""}
            </div>
          ))}
        </div>
      ) : (
        <span className="json-folded">{` … ${entries.length} ${isArray ? "items" : "keys"} `}</span>
      )}
      {end}
    </span>
  );
}
