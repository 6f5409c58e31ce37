import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { pulse } from "../../api/clients";
import { ErrorBox } from "../../ui/common";
import { formatCount } from "../../ui/format";
import { healthCounts, languageCounts } from "../workers/nodes";

const LANGUAGES_SHOWN = 4;

// Nodes by health and by language, over every service.
export function WorkerSummary() {
  const list = useQuery({
    queryKey: ["overview", "nodes"],
    queryFn: () => pulse.listNodes({ pageSize: 10_000 }),
    refetchInterval: 5000,
  });
  const nodes = list.data?.services.flatMap((s) => s.nodes) ?? [];
  const health = list.data ? healthCounts(nodes) : undefined;
  const languages = languageCounts(nodes);
  return (
    <section className="panel" aria-label="Workers">
      <div className="panel-head">
        <h2>Workers</h2>
        <Link to="/workers">All workers</Link>
      </div>
      <ErrorBox error={list.error} />
      <div className="health-row">
        <HealthCount tone="ok" label="healthy" value={health?.healthy} />
        <HealthCount tone="warn" label="late" value={health?.late} />
        <HealthCount tone="bad" label="lost" value={health?.lost} />
      </div>
      <ul className="language-list" aria-label="Nodes by language">
        {languages.slice(0, LANGUAGES_SHOWN).map(({ language, count }) => (
          <li key={language}>
            <span>{language}</span>
            <span className="language-bar">
              <span style={{ width: `${(count / Math.max(1, nodes.length)) * 100}%` }} />
            </span>
            <span className="num">{formatCount(count)}</span>
          </li>
        ))}
        {list.data && nodes.length === 0 && <li className="muted">No node beats yet.</li>}
      </ul>
    </section>
  );
}

function HealthCount(props: { tone: "ok" | "warn" | "bad"; label: string; value: number | undefined }) {
  return (
    <div className={`health-count ${props.tone}`} data-testid={`nodes-${props.label}`}>
      <span className="value">{formatCount(props.value)}</span>
      <span className="label">{props.label}</span>
    </div>
  );
}
