// Every schedule: cadence, job, next fire, last run, paused; and the form for a new one.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { cron } from "../../api/clients";
import type { Schedule } from "../../gen/zenith/v1/cron_pb";
import { Badge, Empty, ErrorBox, PageHeader } from "../../ui/common";
import { formatRelative, formatTime, tsMillis } from "../../ui/format";
import { cadenceText, RUN_STATE } from "./model";
import { ScheduleActions } from "./ScheduleActions";
import { ScheduleFormModal } from "./ScheduleFormModal";
import { useNow } from "../../ui/useNow";

function ScheduleRow({ schedule, now }: { schedule: Schedule; now: number }) {
  const spec = schedule.spec;
  const id = spec?.id ?? "";
  const next = tsMillis(schedule.nextFireAt);
  const last = schedule.lastRun;
  return (
    <tr data-schedule={id}>
      <td>
        <Link to={`/cron/${encodeURIComponent(id)}`}>{id}</Link>
      </td>
      <td className="mono" title={cadenceText(spec)}>
        {cadenceText(spec)}
      </td>
      <td>
        <Link to={`/queues/${encodeURIComponent(spec?.job?.queue ?? "")}`}>{spec?.job?.queue}</Link>
        <span className="muted"> / {spec?.job?.type}</span>
      </td>
      <td>
        {schedule.paused ? (
          <span title={schedule.pauseReason}>
            <Badge tone="warn">paused</Badge>
          </span>
        ) : (
          <span title={formatTime(next)}>
            {formatTime(next)} <span className="muted">{formatRelative(next, now)}</span>
          </span>
        )}
      </td>
      <td>
        {last ? (
          <>
            <Badge tone={RUN_STATE[last.state].tone}>{RUN_STATE[last.state].label}</Badge>{" "}
            <span className="muted">{formatRelative(tsMillis(last.fireTime), now)}</span>
          </>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        <ScheduleActions schedule={schedule} />
      </td>
    </tr>
  );
}

export function ScheduleList() {
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const now = useNow(1000);
  const schedules = useQuery({
    queryKey: ["cron", "schedules"],
    queryFn: () => cron.listSchedules({ pageSize: 1000 }),
    refetchInterval: 5000,
  });
  const rows = schedules.data?.schedules ?? [];
  return (
    <>
      <PageHeader title="Cron">
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New schedule
        </button>
      </PageHeader>
      <ErrorBox error={schedules.error} />
      <div className="panel cron-table-panel">
        {schedules.isPending ? (
          <Empty>Loading…</Empty>
        ) : rows.length === 0 ? (
          <Empty>No schedules yet.</Empty>
        ) : (
          <table className="cron-table" aria-label="Schedules">
            <thead>
              <tr>
                <th>Schedule</th>
                <th>Cadence</th>
                <th>Queue / type</th>
                <th>Next fire</th>
                <th>Last run</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((schedule) => (
                <ScheduleRow key={schedule.spec?.id} schedule={schedule} now={now} />
              ))}
            </tbody>
          </table>
        )}
      </div>
      {creating ? (
        <ScheduleFormModal
          onClose={() => setCreating(false)}
          onSaved={(id) => {
            setCreating(false);
            void navigate(`/cron/${encodeURIComponent(id)}`);
          }}
        />
      ) : null}
    </>
  );
}
