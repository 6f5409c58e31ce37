import { create } from "@bufbuild/protobuf";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { queues } from "../../api/clients";
import type { BulkOperation } from "../../gen/zenith/v1/bulk_pb";
import { QueueSnapshotSchema, QueueSource } from "../../gen/zenith/v1/queue_pb";
import { Empty, ErrorBox, PageHeader } from "../../ui/common";
import { formatCount, formatRate } from "../../ui/format";
import { BulkProgress } from "../queue/BulkProgress";
import { useQueueWatch } from "../queue/live";
import { EnqueueForm } from "./EnqueueForm";
import { QueueTable } from "./QueueTable";
import "./queues.css";

// Every queue with live counts and rates, queue-wide actions, and a form to enqueue a job.
export default function QueuesPage() {
  const watch = useQueueWatch();
  // WatchQueues streams Zenith's own queues only; external ones come from ListQueues.
  const external = useQuery({
    queryKey: ["queues", "external"],
    queryFn: async () => (await queues.listQueues({ source: QueueSource.EXTERNAL, pageSize: 1000 })).queues,
    refetchInterval: 5000,
  });
  const client = useQueryClient();
  const [purge, setPurge] = useState<BulkOperation | null>(null);
  const snapshots = [
    ...(watch.latest?.queues ?? []),
    ...(external.data ?? []).map((queue) => create(QueueSnapshotSchema, { queue })),
  ];
  const totals = watch.latest?.totalRates;
  return (
    <>
      <PageHeader title="Queues">
        <span className="muted queues-totals">
          {formatCount(snapshots.length)} queues · in {formatRate(totals?.enqueued ?? 0)} · done{" "}
          {formatRate(totals?.completed ?? 0)} · failed {formatRate(totals?.failed ?? 0)}
        </span>
      </PageHeader>
      {watch.error && <ErrorBox error={watch.error} />}
      <ErrorBox error={external.error} />
      {purge && (
        <BulkProgress
          key={purge.id}
          id={purge.id}
          title={`Purging ${purge.queue}`}
          onFinished={() => client.invalidateQueries({ queryKey: ["queue", purge.queue] })}
          onDismiss={() => setPurge(null)}
        />
      )}
      {watch.latest === undefined ? (
        <Empty>{watch.error ? "Reconnecting…" : "Loading queues…"}</Empty>
      ) : snapshots.length === 0 ? (
        <Empty>No queues yet. Enqueue a job below to make one.</Empty>
      ) : (
        <QueueTable snapshots={snapshots} onPurgeStarted={setPurge} />
      )}
      <EnqueueForm
        queueNames={snapshots.flatMap((s) => (s.queue?.source === QueueSource.ZENITH ? [s.queue.name] : []))}
      />
    </>
  );
}
