import { useQuery } from "@tanstack/react-query";

import { admin } from "../../api/clients";

import { Badge, CopyButton, ErrorBox } from "../../ui/common";
import { formatRelative, formatTime, tsMillis } from "../../ui/format";
import { DEFAULT_SERVER } from "../job/commands";

interface Readiness {
  ready: boolean;
  redis?: string;
  database?: string;
}

async function readiness(): Promise<Readiness> {
  const response = await fetch("/readyz");
  return (await response.json()) as Readiness;
}

// Where this console's server is, what it is, how to reach it from a shell, and whether it is ready.
export function ServerPanel() {
  const origin = window.location.origin;
  const ready = useQuery({ queryKey: ["server", "readyz"], queryFn: readiness, refetchInterval: 10_000 });
  const info = useQuery({ queryKey: ["server", "info"], queryFn: () => admin.getServerInfo({}) });
  const started = tsMillis(info.data?.startedAt);
  const cli = origin === DEFAULT_SERVER ? "zenith queues" : `ZENITH_SERVER=${origin} zenith queues`;
  return (
    <section className="panel" aria-label="Server">
      <h2>Server</h2>
      <dl className="settings-facts">
        <dt>URL</dt>
        <dd className="mono" data-testid="server-url">
          {origin}
        </dd>
        <dt>Version</dt>
        <dd data-testid="server-version">{info.data ? `zenith ${info.data.version}` : "…"}</dd>
        <dt>Database</dt>
        <dd>{info.data?.database ?? "…"}</dd>
        <dt>Installation</dt>
        <dd className="mono">{info.data?.installationId ?? "…"}</dd>
        <dt>Started</dt>
        <dd>{started === undefined ? "…" : `${formatTime(started)} (${formatRelative(started)})`}</dd>
        <dt>Access</dt>
        <dd data-testid="server-access">
          {info.data === undefined ? (
            "…"
          ) : info.data.open ? (
            <>
              <Badge tone="warn">open mode</Badge> <span className="muted">no API keys: every caller is admin</span>
            </>
          ) : (
            <>
              <Badge tone="ok">keys required</Badge> <span className="muted">every call needs an API key</span>
            </>
          )}
        </dd>
        <dt>API</dt>
        <dd>gRPC and grpc-web on this same address (package zenith.v1)</dd>
        <dt>From a shell</dt>
        <dd className="settings-cli">
          <code className="mono">{cli}</code>
          <CopyButton text={cli} label="Copy" />
        </dd>
        <dt>Ready</dt>
        <dd>
          {ready.data ? (
            <>
              <Badge tone={ready.data.ready ? "ok" : "bad"}>{ready.data.ready ? "ready" : "not ready"}</Badge>{" "}
              <span className="muted">
                Redis {ready.data.redis ?? "?"}, database {ready.data.database ?? "?"}
              </span>
            </>
          ) : (
            <span className="muted">…</span>
          )}
        </dd>
      </dl>
      <ErrorBox error={ready.error ?? info.error} />
    </section>
  );
}
