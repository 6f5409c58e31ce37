import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { admin } from "../../api/clients";
import { isPermissionDenied } from "../../api/errors";
import { roleName } from "../../api/roles";
import { useWhoAmI } from "../../app/session";
import { type ApiKey, Role } from "../../gen/zenith/v1/admin_pb";
import { Badge, Empty, ErrorBox } from "../../ui/common";
import { Confirm } from "../../ui/Confirm";
import { formatTime, tsMillis } from "../../ui/format";
import { CreateKeyModal } from "./CreateKeyModal";
import { keyState, rateText, scopeText } from "./keys";

const KEYS = ["admin", "keys"];

const STATE_TONE = { active: "ok", expired: "warn", revoked: "muted" } as const;

function KeyRow({ apiKey, mine, onRevoke }: { apiKey: ApiKey; mine: boolean; onRevoke: () => void }) {
  const state = keyState(apiKey);
  return (
    <tr>
      <td className="mono">{apiKey.id}</td>
      <td className="keys-name">
        {apiKey.name} {mine && <Badge tone="info">this browser</Badge>}
      </td>
      <td>{roleName(apiKey.role)}</td>
      <td className="mono keys-scope">{scopeText(apiKey)}</td>
      <td>{apiKey.payloads ? "yes" : "hidden"}</td>
      <td>{rateText(apiKey.requestsPerSecond)}</td>
      <td>{formatTime(tsMillis(apiKey.createdAt))}</td>
      <td className="mono keys-scope">{apiKey.createdBy}</td>
      <td>{apiKey.expiresAt ? formatTime(tsMillis(apiKey.expiresAt)) : "never"}</td>
      <td>
        <Badge tone={STATE_TONE[state]}>{state}</Badge>
      </td>
      <td className="num">
        {state !== "revoked" && (
          <button type="button" className="danger-text" onClick={onRevoke} aria-label={`Revoke ${apiKey.name}`}>
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}

// Every API key (admins only): make one, see what each may do, revoke.
export function ApiKeysPanel() {
  const who = useWhoAmI();
  const isAdmin = who.data?.role === Role.ADMIN;
  return (
    <section className="panel" aria-label="API keys">
      <h2>API keys</h2>
      {who.isPending ? (
        <Empty>Loading…</Empty>
      ) : who.data && !isAdmin ? (
        <AdminsOnly role={who.data.role} />
      ) : (
        <KeysTable open={Boolean(who.data?.open)} />
      )}
    </section>
  );
}

function AdminsOnly({ role }: { role: Role }) {
  return (
    <p className="muted" data-testid="keys-admins-only">
      Only admins see and make API keys; this browser signs in as {roleName(role)}. Ask an admin for a key with the
      role you need.
    </p>
  );
}

function KeysTable({ open }: { open: boolean }) {
  const client = useQueryClient();
  const who = useWhoAmI();
  const [showRevoked, setShowRevoked] = useState(false);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const keys = useInfiniteQuery({
    queryKey: [...KEYS, showRevoked],
    queryFn: ({ pageParam }) => admin.listApiKeys({ includeRevoked: showRevoked, pageToken: pageParam }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => admin.revokeApiKey({ id }),
    onSuccess: () => {
      setRevoking(null);
      void client.invalidateQueries({ queryKey: KEYS });
    },
  });
  // The first key ends open mode: asking again now would meet the login before the token is copied.
  const created = () => {
    if (!open) void client.invalidateQueries({ queryKey: KEYS });
  };
  const closeCreate = () => {
    setCreating(false);
    void client.invalidateQueries({ queryKey: KEYS });
    if (open) void client.invalidateQueries({ queryKey: ["session"] });
  };

  if (isPermissionDenied(keys.error)) return <AdminsOnly role={who.data?.role ?? Role.UNSPECIFIED} />;
  const rows = keys.data?.pages.flatMap((page) => page.keys) ?? [];
  const mine = who.data?.key?.id;
  return (
    <>
      <div className="keys-bar">
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Create key
        </button>
        <label className="inline keys-toggle">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show revoked
        </label>
        {open && (
          <span className="muted">The first key ends open mode: from then on every caller, this browser too, needs one.</span>
        )}
      </div>
      <ErrorBox error={keys.error} />
      <div className="keys-scroll">
        {keys.isPending ? (
          <Empty>Loading…</Empty>
        ) : rows.length === 0 && !keys.error ? (
          <Empty>No API keys yet: the server runs open.</Empty>
        ) : (
          <table className="settings-table keys-table">
            <thead>
              <tr>
                <th>Id</th>
                <th>Name</th>
                <th>Role</th>
                <th>Queues</th>
                <th>Payloads</th>
                <th>Rate</th>
                <th>Created</th>
                <th>By</th>
                <th>Expires</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <KeyRow key={row.id} apiKey={row} mine={row.id === mine} onRevoke={() => setRevoking(row)} />
              ))}
            </tbody>
          </table>
        )}
      </div>
      {keys.hasNextPage && (
        <button type="button" onClick={() => void keys.fetchNextPage()} disabled={keys.isFetchingNextPage}>
          Load more
        </button>
      )}
      {creating && <CreateKeyModal open={open} onCreated={created} onClose={closeCreate} />}
      {revoking && (
        <Confirm
          title={`Revoke key "${revoking.name}" (${revoking.id})?`}
          confirmLabel={`Revoke ${revoking.name}`}
          danger
          busy={revoke.isPending}
          onConfirm={() => revoke.mutate(revoking.id)}
          onCancel={() => {
            setRevoking(null);
            revoke.reset();
          }}
        >
          <p>
            Every call made with <strong>{revoking.name}</strong> ({roleName(revoking.role)}) is refused from now on; this
            cannot be undone.
            {revoking.id === mine && " It is the key this browser uses: you will be asked for another."}
          </p>
          <ErrorBox error={revoke.error} />
        </Confirm>
      )}
    </>
  );
}
