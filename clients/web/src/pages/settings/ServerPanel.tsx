import { useQuery } from "@tanstack/react-query";

import { Badge, CopyButton, ErrorBox } from "../../ui/common";
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

// Where this console's server is, how to reach it from a shell, and whether it is ready.
export function ServerPanel() {
  const origin = window.location.origin;
  const ready = useQuery({ queryKey: ["server", "readyz"], queryFn: readiness, refetchInterval: 10_000 });
  const cli = origin === DEFAULT_SERVER ? "zenith queues" : `ZENITH_SERVER=${origin} zenith queues`;
  return (
    <section className="panel" aria-label="Server">
      <h2>Server</h2>
      <dl className="settings-facts">
        <dt>URL</dt>
        <dd className="mono" data-testid="server-url">
          {origin}
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
      <ErrorBox error={ready.error} />
    </section>
  );
}
