// One schedule: its definition, its next fire times and its run history.
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router";

import { cron } from "../../api/clients";
import { isNotFound } from "../../api/errors";
import { type Schedule, ScheduleOrigin } from "../../gen/zenith/v1/cron_pb";
import { Badge, Empty, ErrorBox, PageHeader } from "../../ui/common";
import { durationMillis, formatDuration, formatRelative, formatTime, tsMillis } from "../../ui/format";
import { durationFieldText } from "../../ui/duration";
import { cadenceText, jobPath, MISFIRE_OPTIONS, OVERLAP_OPTIONS, RUN_STATE, RUN_TRIGGER } from "./model";
import { ScheduleActions } from "./ScheduleActions";
import { useNow } from "../../ui/useNow";

function Fact(props: { label: string; children: ReactNode }) {
  return (
    <div className="cron-fact">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function Definition({ schedule, now }: { schedule: Schedule; now: number }) {
  const spec = schedule.spec;
  const job = spec?.job;
  const next = tsMillis(schedule.nextFireAt);
  const payload = job?.payload.length ? new TextDecoder().decode(job.payload) : "";
  const label = (options: { value: number; label: string }[], value: number | undefined) =>
    options.find((option) => option.value === value)?.label ?? "—";
  return (
    <div className="panel">
      <dl className="cron-facts">
        <Fact label="Cadence">
          <span className="mono">{cadenceText(spec)}</span>
        </Fact>
        <Fact label="Time zone">{spec?.timeZone || "UTC"}</Fact>
        <Fact label="Next fire">
          {schedule.paused ? "paused" : `${formatTime(next)} (${formatRelative(next, now)})`}
        </Fact>
        <Fact label="Queue / type">
          <span className="mono">{job?.queue}</span> / <span className="mono">{job?.type}</span>
        </Fact>
        <Fact label="Priority">{job?.priority ?? 0}</Fact>
        <Fact label="Max attempts">{job?.maxAttempts || "default"}</Fact>
        <Fact label="Timeout">{durationFieldText(job?.timeout) || "none"}</Fact>
        <Fact label="Jitter">{durationFieldText(spec?.jitter) || "none"}</Fact>
        <Fact label="Overlap">{label(OVERLAP_OPTIONS, spec?.overlap)}</Fact>
        <Fact label="Misfires">{label(MISFIRE_OPTIONS, spec?.misfire)}</Fact>
        <Fact label="Origin">{schedule.origin === ScheduleOrigin.CODE ? "declared in code" : "API / console"}</Fact>
        <Fact label="Updated">
          {formatTime(tsMillis(schedule.updatedAt))} {schedule.updatedBy ? `by ${schedule.updatedBy}` : ""}
        </Fact>
      </dl>
      {schedule.paused ? (
        <p className="notice">
          Paused {schedule.pausedBy ? `by ${schedule.pausedBy} ` : ""}
          {formatRelative(tsMillis(schedule.pausedAt), now)}
          {schedule.pauseReason ? `: ${schedule.pauseReason}` : ""}
        </p>
      ) : null}
      {spec?.description ? <p>{spec.description}</p> : null}
      {payload ? <pre className="code">{payload}</pre> : null}
    </div>
  );
}

function RunHistory({ id, now }: { id: string; now: number }) {
  const runs = useQuery({
    queryKey: ["cron", "runs", id],
    queryFn: () => cron.listScheduleRuns({ scheduleId: id, pageSize: 100 }),
    refetchInterval: 3000,
  });
  const rows = runs.data?.runs ?? [];
  return (
    <div className="panel">
      <h2>Run history</h2>
      <ErrorBox error={runs.error} />
      {runs.isPending ? (
        <Empty>Loading…</Empty>
      ) : rows.length === 0 ? (
        <Empty>No runs yet.</Empty>
      ) : (
        <table aria-label="Run history">
          <thead>
            <tr>
              <th>Fire time</th>
              <th>Trigger</th>
              <th>State</th>
              <th>Job</th>
              <th className="num">Duration</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => {
              const fire = tsMillis(run.fireTime);
              return (
                <tr key={`${fire}-${run.jobId}`}>
                  <td>
                    {formatTime(fire)} <span className="muted">{formatRelative(fire, now)}</span>
                  </td>
                  <td>
                    {RUN_TRIGGER[run.trigger]}
                    {run.triggeredBy ? <span className="muted"> by {run.triggeredBy}</span> : null}
                  </td>
                  <td>
                    <Badge tone={RUN_STATE[run.state].tone}>{RUN_STATE[run.state].label}</Badge>
                  </td>
                  <td className="mono">
                    {run.jobId ? <Link to={jobPath(run.jobId, run.queue)}>{run.jobId}</Link> : "—"}
                  </td>
                  <td className="num">{formatDuration(durationMillis(run.duration))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function ScheduleDetail({ id }: { id: string }) {
  const navigate = useNavigate();
  const now = useNow(1000);
  const schedule = useQuery({
    queryKey: ["cron", "schedule", id],
    queryFn: () => cron.getSchedule({ id }),
    refetchInterval: 5000,
  });
  const current = schedule.data?.schedule;
  return (
    <>
      <PageHeader
        title={
          <>
            <Link to="/cron" className="muted">
              Cron
            </Link>{" "}
            / <span className="mono">{id}</span> {current?.paused ? <Badge tone="warn">paused</Badge> : null}
          </>
        }
      >
        {current ? <ScheduleActions schedule={current} onDeleted={() => void navigate("/cron")} /> : null}
      </PageHeader>
      {isNotFound(schedule.error) ? <Empty>No schedule {id}.</Empty> : <ErrorBox error={schedule.error} />}
      {current ? <Definition schedule={current} now={now} /> : null}
      <RunHistory id={id} now={now} />
    </>
  );
}
