import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { pulse } from "../../api/clients";
import { type Node, NodeHealth } from "../../gen/zenith/v1/pulse_pb";
import { Badge, ErrorBox } from "../../ui/common";
import { Confirm } from "../../ui/Confirm";
import { formatBytes, formatDuration, formatRelative, formatTime, tsMillis } from "../../ui/format";
import { Sparkline } from "../../ui/Sparkline";
import { HEALTH, healthName } from "./health";
import { historySamples, type NodeEntry, nodeId, resourcesOf, SAMPLE_LIMIT, uptimeMillis } from "./nodes";

const JOBS_SHOWN = 2;
const HISTORY_MINUTES = 30;

export function NodeRow(props: { entry: NodeEntry; now: number; onNode: (node: Node) => void }) {
  const { node, samples } = props.entry;
  const id = nodeId(node);
  const identity = node.beat?.identity;
  const health = healthName(node.health);
  // The last half hour, per minute, leads into the beats seen since the page opened.
  const history = useQuery({
    queryKey: ["workers", "node-metrics", id],
    queryFn: () => pulse.getNodeMetrics({ nodeId: id }),
    staleTime: Infinity,
  });
  const past = history.data ? historySamples(history.data.points, node, HISTORY_MINUTES) : undefined;
  const series = (key: "cpu" | "memory" | "disk") => [...(past?.[key] ?? []), ...samples[key]].slice(-SAMPLE_LIMIT);
  const cpu = series("cpu");
  const now = resourcesOf(node);
  const cores = node.beat?.system?.cpuCores;

  return (
    <tr data-node={id} className={node.health === NodeHealth.LOST ? "lost" : undefined}>
      <td>
        <div className="mono node-id" title={id}>
          {id}
        </div>
        <div className="sub">
          {identity?.hostname || "—"}
          {identity?.pid ? ` · pid ${identity.pid}` : ""}
        </div>
      </td>
      <td>
        <div className="health-cell">
          <span data-testid="health">
            <Badge tone={health ? HEALTH[health].tone : "muted"}>{health ?? "unknown"}</Badge>
          </span>
          {(node.quietRequested || node.beat?.quiet) && (
            <Badge tone="info">{node.beat?.quiet ? "quiet" : "quieting"}</Badge>
          )}
        </div>
        <div className="sub" data-testid="last-beat" title={`Last beat ${formatTime(tsMillis(node.lastBeatAt))}`}>
          {node.health === NodeHealth.LOST
            ? `lost ${formatRelative(tsMillis(node.lostAt), props.now)}`
            : `beat ${formatRelative(tsMillis(node.lastBeatAt), props.now)}`}
        </div>
      </td>
      <td title={[identity?.runtime, identity?.sdkVersion, identity?.platform].filter(Boolean).join(" · ")}>
        <div data-testid="language">{identity?.language || "—"}</div>
        <div className="sub">{identity?.version || "—"}</div>
      </td>
      <td className="num">{formatDuration(uptimeMillis(node, props.now))}</td>
      <td>
        <RunningJobs node={node} />
      </td>
      <td>
        <Resource
          label="CPU"
          value={now.cpu === undefined ? "—" : `${now.cpu.toFixed(1)}%`}
          values={cpu}
          max={Math.max(100, ...cpu)}
          title={cores ? `${cores} cores; percent of one core` : "percent of one core"}
        />
      </td>
      <td>
        <Resource label="Memory" value={formatBytes(now.memory)} values={series("memory")} title="resident memory" />
      </td>
      <td>
        <Resource
          label="Disk"
          value={now.disk === undefined ? "—" : `${now.disk.toFixed(0)}%`}
          values={series("disk")}
          max={100}
          title="disk used"
        />
      </td>
      <td>
        <QuietButton node={node} onNode={props.onNode} />
      </td>
    </tr>
  );
}

function Resource(props: { label: string; value: string; values: number[]; max?: number; title: string }) {
  return (
    <div className="resource" title={props.title} data-testid={props.label.toLowerCase()}>
      <span className="resource-value">{props.value}</span>
      <Sparkline values={props.values} max={props.max} width={72} height={18} label={props.label} />
    </div>
  );
}

function RunningJobs({ node }: { node: Node }) {
  const jobs = node.beat?.jobs ?? [];
  if (jobs.length === 0) return <span className="muted">idle</span>;
  return (
    <div className="jobs">
      {jobs.slice(0, JOBS_SHOWN).map((job) => (
        <Link
          key={job.jobId}
          className="mono"
          to={`/jobs/${encodeURIComponent(job.jobId)}?queue=${encodeURIComponent(job.queue)}`}
          title={`${job.queue} · ${job.jobId}`}
        >
          {job.jobId}
        </Link>
      ))}
      {jobs.length > JOBS_SHOWN && <span className="sub">+{jobs.length - JOBS_SHOWN} more</span>}
    </div>
  );
}

// Asks the node to take no new work, or withdraws that request. The dialog keeps the action it
// was opened for: the stream may update the node while it is open.
function QuietButton(props: { node: Node; onNode: (node: Node) => void }) {
  const [asking, setAsking] = useState<{ quiet: boolean }>();
  const id = nodeId(props.node);
  const change = useMutation({
    mutationFn: (quiet: boolean) => pulse.quietNode({ nodeId: id, quiet }),
    onSuccess: (response) => {
      if (response.node) props.onNode(response.node);
      setAsking(undefined);
    },
  });
  const quiet = !props.node.quietRequested;
  return (
    <>
      <button
        type="button"
        // A lost node cannot be told anything new, but a request it left standing can be withdrawn.
        disabled={quiet && props.node.health === NodeHealth.LOST}
        onClick={() => {
          change.reset();
          setAsking({ quiet });
        }}
      >
        {quiet ? "Quiet" : "Resume"}
      </button>
      {asking && (
        <Confirm
          title={asking.quiet ? `Quiet node ${id}?` : `Let node ${id} take work again?`}
          confirmLabel={asking.quiet ? "Quiet node" : "Resume node"}
          busy={change.isPending}
          onConfirm={() => change.mutate(asking.quiet)}
          onCancel={() => setAsking(undefined)}
        >
          <p>
            {asking.quiet
              ? "It stops taking new jobs and finishes the ones it runs. The request stands until you resume it."
              : "It is told to take new jobs again on its next beat."}
          </p>
          <ErrorBox error={change.error} />
        </Confirm>
      )}
    </>
  );
}
