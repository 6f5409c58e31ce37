import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { apiKey, setApiKey } from "../../api/session";
import { Badge } from "../../ui/common";

// The key is kept in this browser and sent with every request; saving or clearing it asks
// everything shown again, under the new identity.
export function ApiKeyPanel() {
  const client = useQueryClient();
  const [current, setCurrent] = useState(apiKey());
  const [draft, setDraft] = useState("");
  const [saved, setSaved] = useState<"in" | "out" | null>(null);

  const save = (event: FormEvent) => {
    event.preventDefault();
    const key = draft.trim();
    if (!key) return;
    setApiKey(key);
    setCurrent(key);
    setDraft("");
    setSaved("in");
    void client.invalidateQueries();
  };
  const signOut = () => {
    setApiKey(null);
    setCurrent(null);
    setSaved("out");
    void client.invalidateQueries();
  };

  return (
    <section className="panel" aria-label="Sign in">
      <h2>Sign in with an API key</h2>
      <p className="notice">
        This server runs without API keys for now: every call is allowed, with or without a key. A key saved here is
        sent with every request as <span className="mono">authorization: Bearer …</span>, ready for when keys arrive.
      </p>
      <p data-testid="key-status">
        {current ? (
          <>
            <Badge tone="ok">signed in</Badge> A key ending in <span className="mono">…{current.slice(-4)}</span> is
            saved in this browser.
          </>
        ) : (
          <>
            <Badge>no key</Badge> No key is saved in this browser.
          </>
        )}
      </p>
      <form className="settings-key" onSubmit={save}>
        <input
          type="password"
          aria-label="API key"
          autoComplete="off"
          placeholder="zk_…"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="primary" disabled={!draft.trim()}>
          Save key
        </button>
        <button type="button" onClick={signOut} disabled={!current}>
          Sign out
        </button>
        <span className="muted" aria-live="polite">
          {saved === "in" ? "Saved." : saved === "out" ? "Signed out: the key is gone from this browser." : ""}
        </span>
      </form>
    </section>
  );
}
