// The next fire times of the cadence being typed, from the server's PreviewSchedule.
import { useQuery } from "@tanstack/react-query";

import { cron } from "../../api/clients";
import { errorMessage } from "../../api/errors";
import { formatRelative, tsMillis } from "../../ui/format";
import { durationFromSeconds, parseDuration } from "../../ui/duration";
import type { ScheduleForm } from "./model";
import { useNow } from "../../ui/useNow";
import { useDebounced } from "./useDebounced";

const PREVIEW_COUNT = 5;

type Cadence = Pick<ScheduleForm, "cadence" | "cron" | "interval" | "timeZone">;

// The preview query of the cadence once typing paused; `settled` is false while it catches up.
export function usePreview(form: Cadence) {
  const key = JSON.stringify([form.cadence, form.cron.trim(), form.interval.trim(), form.timeZone.trim()]);
  const settledKey = useDebounced(key, 350);
  const [cadence, expression, interval, timeZone] = JSON.parse(settledKey) as [string, string, string, string];
  const seconds = parseDuration(interval);
  const ready = cadence === "cron" ? expression !== "" : seconds !== undefined && seconds >= 1;
  const query = useQuery({
    queryKey: ["cron", "preview", settledKey],
    queryFn: () =>
      cron.previewSchedule({
        cron: cadence === "cron" ? expression : "",
        interval: cadence === "interval" && seconds !== undefined ? durationFromSeconds(seconds) : undefined,
        timeZone,
        count: PREVIEW_COUNT,
      }),
    enabled: ready,
    retry: false,
    staleTime: 30_000,
  });
  return { query, settled: key === settledKey && !query.isFetching, ready };
}

export function PreviewList({ preview }: { preview: ReturnType<typeof usePreview> }) {
  const now = useNow(1000);
  const { query, ready } = preview;
  const rows = query.data?.fireTimes ?? [];
  return (
    <div className="cron-preview" aria-label="Next fire times">
      <h3>
        Next fire times {query.data ? <span className="muted">({query.data.timeZone})</span> : null}
      </h3>
      {query.isError ? (
        <div className="field-error" role="alert">
          {errorMessage(query.error)}
        </div>
      ) : !ready ? (
        <p className="muted">Enter a cron expression or an interval.</p>
      ) : (
        <ol>
          {rows.map((fire) => (
            <li key={fire.localTime}>
              <span className="mono">{fire.localTime}</span>
              <span className="muted">{formatRelative(tsMillis(fire.time), now)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
