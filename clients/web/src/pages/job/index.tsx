import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams, useSearchParams } from "react-router";

import { queues } from "../../api/clients";
import { isNotFound } from "../../api/errors";
import { JobSource } from "../../gen/zenith/v1/archive_pb";
import { CopyButton, Empty, ErrorBox, PageHeader, Tabs } from "../../ui/common";
import { cliGetJob, grpcurlGetJob } from "./commands";
import { JobActions } from "./JobActions";
import { JobLogs } from "./JobLogs";
import { JobFailure, JobHeaders, JobSummary } from "./JobSummary";
import { NotFound } from "./NotFound";
import { PayloadView } from "./PayloadView";
import { isFinal } from "./states";
import { Timeline } from "./Timeline";
import "./job.css";

type Section = "timeline" | "logs" | "result";

export default function JobPage() {
  const id = useParams().id ?? "";
  const [params] = useSearchParams();
  const queueHint = params.get("queue") ?? "";
  const [section, setSection] = useState<Section>("timeline");

  const job = useQuery({
    queryKey: ["job", id, "detail", queueHint],
    queryFn: () => queues.getJob({ id, queue: queueHint, includeLogs: true }),
    retry: (count, error) => !isNotFound(error) && count < 1,
    // A running job changes by itself; a finished one only gains late log lines.
    refetchInterval: (query) => {
      const state = query.state.data?.job?.state;
      return state !== undefined && isFinal(state) ? 10_000 : 2_000;
    },
  });

  const location = { protocol: window.location.protocol, host: window.location.host };
  const queue = job.data?.job?.queue ?? queueHint;
  const header = (
    <PageHeader
      title={
        <>
          Job <span className="mono job-id">{id}</span>
        </>
      }
    >
      <CopyButton text={grpcurlGetJob(id, queue, location)} label="Copy as grpcurl" />
      <CopyButton text={cliGetJob(id, location)} label="Copy as CLI" />
    </PageHeader>
  );

  if (job.isPending) {
    return (
      <>
        {header}
        <Empty>Loading the job…</Empty>
      </>
    );
  }
  if (job.error) {
    return (
      <>
        {header}
        {isNotFound(job.error) ? <NotFound id={id} /> : <ErrorBox error={job.error} />}
      </>
    );
  }
  const { job: current, source, logs, logsTruncated } = job.data;
  if (!current) return header;
  const live = source === JobSource.LIVE;

  return (
    <>
      {header}
      <JobActions job={current} live={live} />
      <JobSummary job={current} source={source} />
      <div className="job-columns">
        <section className="panel job-payload" aria-label="Payload">
          <h2>Payload</h2>
          <PayloadView bytes={current.payload} label="payload" redacted={current.payloadRedacted} />
        </section>
        <JobHeaders job={current} />
      </div>
      <JobFailure job={current} />
      <section className="panel">
        <Tabs<Section>
          tabs={[
            { id: "timeline", label: "Timeline" },
            { id: "logs", label: `Logs (${logs.length}${logsTruncated ? "+" : ""})` },
            { id: "result", label: "Result" },
          ]}
          active={section}
          onChange={setSection}
        />
        {section === "timeline" && <Timeline id={id} />}
        {section === "logs" && <JobLogs id={id} records={logs} truncated={logsTruncated} />}
        {section === "result" && <PayloadView bytes={current.result} label="result" redacted={current.payloadRedacted} />}
      </section>
    </>
  );
}
