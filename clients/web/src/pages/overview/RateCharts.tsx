import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { queues } from "../../api/clients";
import type { WatchQueuesResponse } from "../../gen/zenith/v1/queue_pb";
import { ErrorBox } from "../../ui/common";
import { formatDuration } from "../../ui/format";
import { TimeSeries } from "../../ui/TimeSeries";
import { type ChartRange, mergeLive, type RateSeries, seriesFromHistory } from "./metrics";

const CHART_HEIGHT = 150;

// Throughput and failures over every queue: the per-step history of the range, then the
// stream's rates as the newest point. The history is read again each minute, which replaces
// the live estimates of closed steps with their real counts.
export function RateCharts(props: { range: ChartRange; latest: WatchQueuesResponse | undefined }) {
  const { range, latest } = props;
  const history = useQuery({
    queryKey: ["overview", "queue-metrics", range.seconds],
    queryFn: () => queues.getQueueMetrics({ range: { seconds: BigInt(range.seconds) } }),
    refetchInterval: 60_000,
  });
  const [series, setSeries] = useState<RateSeries>();

  useEffect(() => {
    if (history.data) setSeries(seriesFromHistory(history.data.points, history.data.step, range.seconds));
  }, [history.data, range.seconds]);

  useEffect(() => {
    const rates = latest?.totalRates;
    if (rates) setSeries((current) => current && mergeLive(current, { at: Date.now() / 1000, rates }));
  }, [latest]);

  const x = series?.x ?? [];
  const span = x.length > 0 && series ? x[x.length - 1] - x[0] + series.stepSeconds : 0;
  return (
    <section
      className="overview-charts"
      aria-label="Charts"
      data-testid="charts"
      data-span-seconds={span}
      data-step-seconds={series?.stepSeconds ?? 0}
    >
      <ErrorBox error={history.error} />
      <div className="grid-2">
        <div className="panel">
          <div className="chart-head">
            <h2>Throughput</h2>
            <span className="muted chart-caption">
              {series ? `jobs/s · one point per ${formatDuration(series.stepSeconds * 1000)}` : "loading…"}
            </span>
          </div>
          <TimeSeries
            label="Throughput"
            height={CHART_HEIGHT}
            x={x}
            ys={[series?.enqueued ?? [], series?.completed ?? []]}
            series={[
              { label: "enqueued/s", color: "--series-1" },
              { label: "completed/s", color: "--series-2" },
            ]}
          />
        </div>
        <div className="panel">
          <div className="chart-head">
            <h2>Failures</h2>
            <span className="muted chart-caption">failed attempts/s over {range.label}</span>
          </div>
          <TimeSeries
            label="Failures"
            height={CHART_HEIGHT}
            x={x}
            ys={[series?.failed ?? []]}
            series={[{ label: "failed/s", color: "--series-3" }]}
          />
        </div>
      </div>
    </section>
  );
}
