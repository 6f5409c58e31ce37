import { useState } from "react";

import { queues } from "../../api/clients";
import { useStream } from "../../api/stream";
import { PageHeader, Tabs } from "../../ui/common";
import { BusiestQueues } from "./BusiestQueues";
import { FiringAlerts } from "./FiringAlerts";
import { RANGES } from "./metrics";
import { RateCharts } from "./RateCharts";
import { Totals } from "./Totals";
import { WorkerSummary } from "./WorkerSummary";
import "./overview.css";

export default function OverviewPage() {
  const [rangeId, setRangeId] = useState("1h");
  const range = RANGES.find((r) => r.id === rangeId) ?? RANGES[1];
  // One stream feeds the totals, the charts' newest points and the busiest queues.
  const live = useStream((signal) => queues.watchQueues({}, { signal }), []);
  return (
    <div className="overview">
      <PageHeader title="Overview">
        <Tabs tabs={RANGES.map((r) => ({ id: r.id, label: r.label }))} active={range.id} onChange={setRangeId} />
      </PageHeader>
      <Totals latest={live.latest} error={live.error} />
      <RateCharts key={range.id} range={range} latest={live.latest} />
      <div className="overview-bottom">
        <BusiestQueues latest={live.latest} />
        <FiringAlerts />
        <WorkerSummary />
      </div>
    </div>
  );
}
