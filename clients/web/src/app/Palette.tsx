import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";

import { ROUTES } from "./routes";

interface Command {
  label: string;
  hint: string;
  run: () => void;
}

// Ctrl/Cmd+K: go to a page, open a job by id, or search for the typed text.
export function Palette({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const [selected, setSelected] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    input.current?.focus();
  }, []);

  const commands = useMemo<Command[]>(() => {
    const go = (path: string) => () => {
      navigate(path);
      onClose();
    };
    const query = text.trim();
    const lower = query.toLowerCase();
    const pages = ROUTES.filter((r) => r.title && r.title.toLowerCase().includes(lower)).map((r) => ({
      label: `Go to ${r.title}`,
      hint: "page",
      run: go(r.path),
    }));
    if (!query) return pages;
    return [
      ...pages,
      { label: `Open job ${query}`, hint: "job", run: go(`/jobs/${encodeURIComponent(query)}`) },
      { label: `Search for ${query}`, hint: "search", run: go(`/search?q=${encodeURIComponent(query)}`) },
    ];
  }, [text, navigate, onClose]);

  const active = Math.min(selected, commands.length - 1);
  return (
    <dialog ref={dialog} className="palette" onCancel={onClose} aria-label="Command palette">
      <input
        ref={input}
        value={text}
        placeholder="Go to a page, open a job by id, search…"
        aria-label="Command"
        onChange={(e) => {
          setText(e.target.value);
          setSelected(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setSelected((active + 1) % commands.length);
          else if (e.key === "ArrowUp") setSelected((active - 1 + commands.length) % commands.length);
          else if (e.key === "Enter") commands[active]?.run();
          else return;
          e.preventDefault();
        }}
      />
      <ul role="listbox">
        {commands.map((command, index) => (
          <li
            key={command.label}
            role="option"
            aria-selected={index === active}
            className={index === active ? "active" : ""}
            onMouseEnter={() => setSelected(index)}
            onClick={command.run}
          >
            <span>{command.label}</span>
            <span className="muted">{command.hint}</span>
          </li>
        ))}
      </ul>
    </dialog>
  );
}
