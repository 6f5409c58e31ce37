import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { queues } from "../../api/clients";
import { isNotFound } from "../../api/errors";
import type { BulkOperation } from "../../gen/zenith/v1/bulk_pb";
import { type Queue, QueueSource } from "../../gen/zenith/v1/queue_pb";
import { Badge, Empty, ErrorBox, PageHeader, Tabs } from "../../ui/common";
import { durationMillis, formatCount, formatDuration, formatRate } from "../../ui/format";
import { BulkProgress } from "./BulkProgress";
import { JobsView } from "./JobsView";
import { useQueueWatch } from "./live";
import { PauseButton, PurgeButton } from "./QueueControls";
import { STATES, type StateSlug, stateFromSlug } from "./states";
import "./queue.css";

function ExternalNotice({ queue }: { queue: Queue }) {
  const origin = queue.external;
  return (
    <div className="notice">
      An external queue ({origin?.driver || "unknown driver"}
      {origin?.connection ? `, ${origin.connection}` : ""}), reported by {origin?.reportedBy || "a node"}. Zenith
      shows its counts and never changes it.
    </div>
  );
}

// One queue: live counts, queue-wide actions, and its jobs per state with filter and bulk actions.
export default function QueuePage() {
  const name = useParams().queue ?? "";
  const [params, setParams] = useSearchParams();
  const state = stateFromSlug(params.get("state"));
  const filter = params.get("filter") ?? "";
  const [purge, setPurge] = useState<BulkOperation | null>(null);
  const client = useQueryClient();
  const fetched = useQuery({
    queryKey: ["queue", name],
    queryFn: async () => (await queues.getQueue({ name })).queue,
  });
  const watch = useQueueWatch([name]);
  const snapshot = watch.latest?.queues.find((s) => s.queue?.name === name);
  // The stream has the freshest numbers; GetQueue says whether the queue exists and its source.
  const queue = fetched.data && snapshot?.queue ? { ...fetched.data, ...snapshot.queue } : fetched.data;

  const navigate = (next: { state?: StateSlug; filter?: string }) => {
    const search = new URLSearchParams();
    search.set("state", next.state ?? state.slug);
    const nextFilter = next.filter ?? filter;
    if (nextFilter) search.set("filter", nextFilter);
    setParams(search);
  };

  if (fetched.error) {
    return (
      <>
        <PageHeader title={name} />
        {isNotFound(fetched.error) ? <Empty>No queue named “{name}”.</Empty> : <ErrorBox error={fetched.error} />}
      </>
    );
  }
  const external = queue?.source === QueueSource.EXTERNAL;
  const rates = snapshot?.rates;
  return (
    <>
      <PageHeader
        title={
          <span className="queue-title">
            <Link to="/queues" className="muted">
              Queues
            </Link>{" "}
            / {name}{" "}
            {queue && (external ? <Badge tone="info">external</Badge> : queue.paused ? <Badge tone="warn">paused</Badge> : <Badge tone="ok">running</Badge>)}
          </span>
        }
      >
        <span className="muted queue-rates">
          in {formatRate(rates?.enqueued ?? 0)} · done {formatRate(rates?.completed ?? 0)} · failed{" "}
          {formatRate(rates?.failed ?? 0)} · oldest pending{" "}
          {queue?.oldestPendingAge ? formatDuration(durationMillis(queue.oldestPendingAge)) : "—"}
        </span>
        {queue && !external && (
          <>
            <PauseButton queue={queue} />
            <PurgeButton queue={queue} onStarted={setPurge} />
          </>
        )}
      </PageHeader>
      {watch.error && <ErrorBox error={watch.error} />}
      {purge && (
        <BulkProgress
          key={purge.id}
          id={purge.id}
          title={`Purging ${name}`}
          onFinished={() => void client.invalidateQueries({ queryKey: ["jobs", name] })}
          onDismiss={() => setPurge(null)}
        />
      )}
      <Tabs
        tabs={STATES.map((s) => ({
          id: s.slug,
          label: (
            <>
              {s.label} <span className="tab-count">{formatCount(queue?.counts?.[s.slug] ?? 0n)}</span>
            </>
          ),
        }))}
        active={state.slug}
        onChange={(slug) => navigate({ state: slug })}
      />
      {!queue ? (
        <Empty>Loading…</Empty>
      ) : external ? (
        <ExternalNotice queue={queue} />
      ) : (
        <JobsView
          key={`${state.slug}\n${filter}`}
          queue={name}
          state={state}
          filter={filter}
          onFilter={(next) => navigate({ filter: next })}
        />
      )}
    </>
  );
}
