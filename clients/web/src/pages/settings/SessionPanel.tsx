import { roleName } from "../../api/roles";
import { apiKey } from "../../api/session";
import { useSignOut, useWhoAmI } from "../../app/session";
import { Badge, ErrorBox } from "../../ui/common";
import { formatTime, tsMillis } from "../../ui/format";
import { scopeText } from "./keys";

// Who this browser is to the server: the key it sends and what that key may do.
export function SessionPanel() {
  const who = useWhoAmI();
  const signOut = useSignOut();
  const saved = apiKey();
  const data = who.data;
  return (
    <section className="panel" aria-label="Signed in">
      <h2>This browser</h2>
      <ErrorBox error={who.error} />
      {data?.open && (
        <p className="notice warn-notice" data-testid="open-mode">
          <Badge tone="warn">open mode</Badge> The server has no API keys, so every caller on loopback is admin. Create
          an admin key below and sign in with it: from then on every caller needs a key.
        </p>
      )}
      {data && !data.open && (
        <dl className="settings-facts" data-testid="key-status">
          <dt>Key</dt>
          <dd>
            {data.key?.name} <span className="mono muted">{data.key?.id}</span>
          </dd>
          <dt>Role</dt>
          <dd>
            <Badge tone="info">{roleName(data.role)}</Badge>
          </dd>
          <dt>Queues</dt>
          <dd>{data.key ? scopeText(data.key) : "—"}</dd>
          <dt>Payloads</dt>
          <dd>{data.key?.payloads ? "shown" : "hidden from this key"}</dd>
          <dt>Expires</dt>
          <dd>{data.key?.expiresAt ? formatTime(tsMillis(data.key.expiresAt)) : "never"}</dd>
        </dl>
      )}
      <p className="muted">
        {saved ? (
          <>
            A key ending in <span className="mono">…{saved.slice(-4)}</span> is kept in this browser's local storage
            and sent with every call.
          </>
        ) : (
          "No key is kept in this browser."
        )}
      </p>
      <button type="button" onClick={signOut} disabled={!saved}>
        Sign out
      </button>
    </section>
  );
}
