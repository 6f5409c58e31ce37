import { type ReactNode, useState } from "react";

import { errorMessage } from "../api/errors";

export function PageHeader(props: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{props.title}</h1>
      <div className="page-actions">{props.children}</div>
    </header>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {errorMessage(error)}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Badge(props: { tone?: "ok" | "warn" | "bad" | "info" | "muted"; children: ReactNode }) {
  return <span className={`badge ${props.tone ?? "muted"}`}>{props.children}</span>;
}

export function Tabs<T extends string>(props: {
  tabs: { id: T; label: ReactNode }[];
  active: T;
  onChange: (id: T) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {props.tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          aria-selected={tab.id === props.active}
          className={tab.id === props.active ? "tab active" : "tab"}
          onClick={() => props.onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

export function CopyButton(props: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={() => {
        void navigator.clipboard?.writeText(props.text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
    >
      {copied ? "Copied" : props.label}
    </button>
  );
}

// Saves text as a file in the browser's downloads.
export function download(filename: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// RFC 4180 CSV: every field quoted, quotes doubled.
export function toCsv(header: string[], rows: string[][]): string {
  const line = (fields: string[]) => fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(",");
  return [line(header), ...rows.map(line)].join("\r\n") + "\r\n";
}
