import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState, useSyncExternalStore } from "react";

import { admin } from "../api/clients";
import { errorMessage, isUnauthenticated } from "../api/errors";
import { roleName } from "../api/roles";
import { apiKey, clearRefusal, loginHeld, sessionRefusal, setApiKey, subscribeSession } from "../api/session";
import { Role, type WhoAmIResponse } from "../gen/zenith/v1/admin_pb";
import { Badge } from "../ui/common";

const WHOAMI_KEY = ["session", "whoami"];

// Who this browser is to the server: its key and role, or open mode. Every component asks the
// same cached query.
export function useWhoAmI() {
  return useQuery({
    queryKey: WHOAMI_KEY,
    queryFn: () => admin.whoAmI({}),
    retry: (count, error) => !isUnauthenticated(error) && count < 1,
    staleTime: 60_000,
  });
}

export function useIsAdmin(): boolean | undefined {
  const who = useWhoAmI();
  return who.data ? who.data.role === Role.ADMIN : undefined;
}

// Forgets the key and asks everything again: a server that needs keys then shows the login.
export function useSignOut(): () => void {
  const client = useQueryClient();
  return () => {
    setApiKey(null);
    void client.resetQueries();
  };
}

// The console behind a login: while the server refuses this browser's key (or the lack of
// one), the login screen stands in for the whole shell, so no page keeps calling in vain.
export function SessionGate({ children }: { children: ReactNode }) {
  const refusal = useSyncExternalStore(subscribeSession, sessionRefusal);
  const who = useWhoAmI();
  if (refusal) return <Login reason={refusal} />;
  if (isUnauthenticated(who.error) && !loginHeld()) return <Login reason={refusedText(who.error)} />;
  // A server without AdminService (or one down) still gets the console: pages say what fails.
  if (who.isPending) return <div className="login-wait" aria-busy="true" />;
  return children;
}

function refusedText(error: unknown): string {
  return errorMessage(error).replace(/^Unauthenticated: /, "");
}

function Login({ reason }: { reason: string }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const saved = apiKey();

  // Stores the key (null: none), checks it with WhoAmI and, if the server takes it, resumes.
  const attempt = async (key: string | null) => {
    setBusy(true);
    setError(null);
    setApiKey(key);
    try {
      const who: WhoAmIResponse = await admin.whoAmI({});
      client.setQueryData(WHOAMI_KEY, who);
      setDraft("");
      clearRefusal();
      void client.resetQueries({ predicate: (query) => query.queryKey[0] !== "session" });
    } catch (caught) {
      setApiKey(null);
      setError(isUnauthenticated(caught) ? `The server refused this key: ${refusedText(caught)}` : errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const key = draft.trim();
    if (key) void attempt(key);
  };

  return (
    <main className="login">
      <form className="panel login-card" onSubmit={submit} aria-label="Sign in">
        <div className="brand">Zenith</div>
        <h1>Sign in with an API key</h1>
        <p className="muted" data-testid="login-reason">
          The server needs an API key from this browser{saved ? "; it refused the one saved here" : ""}:{" "}
          <span className="mono">{reason}</span>
        </p>
        <p>
          An admin makes keys in the console (Settings → API keys) or on the server's host with{" "}
          <code className="mono">zenith keys create --role admin</code>, which prints the token once. A server started
          with <code className="mono">--bootstrap-admin-key</code> has an admin key from the start. The key is kept in
          this browser's local storage and sent as <span className="mono">authorization: Bearer …</span>.
        </p>
        <label className="login-field">
          API key
          <input
            type="password"
            autoComplete="off"
            autoFocus
            placeholder="zk_…"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
        </label>
        <p className="field-error login-error" role={error ? "alert" : undefined}>
          {error ?? ""}
        </p>
        <div className="modal-actions">
          {saved && (
            <button type="button" disabled={busy} onClick={() => void attempt(null)}>
              Forget the saved key
            </button>
          )}
          <button type="submit" className="primary" disabled={busy || !draft.trim()}>
            {busy ? "Checking…" : "Sign in"}
          </button>
        </div>
      </form>
    </main>
  );
}

// The sidebar's "who am I": the key's name and role, or a warning that the server runs open.
export function Identity() {
  const who = useWhoAmI();
  const signOut = useSignOut();
  const data = who.data;
  return (
    <div className="identity" data-testid="identity">
      {data?.open ? (
        <span title="The server has no API keys: every caller on loopback is admin">
          <Badge tone="warn">open mode</Badge> <span className="muted">anyone is admin</span>
        </span>
      ) : data ? (
        <span className="identity-who" title={data.principal}>
          <span className="identity-name">{data.key?.name || data.principal}</span>{" "}
          <Badge tone={data.role === Role.ADMIN ? "info" : "muted"}>{roleName(data.role)}</Badge>
        </span>
      ) : (
        <span className="muted">{who.error ? "identity unknown" : "…"}</span>
      )}
      {apiKey() && (
        <button type="button" className="ghost" onClick={signOut}>
          Sign out
        </button>
      )}
    </div>
  );
}
