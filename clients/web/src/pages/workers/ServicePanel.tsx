import type { Node } from "../../gen/zenith/v1/pulse_pb";
import { Badge } from "../../ui/common";
import { NodeRow } from "./NodeRow";
import type { NodeEntry, ServiceGroup } from "./nodes";

// One service: its health counts, then one row per node.
export function ServicePanel(props: { group: ServiceGroup<NodeEntry>; now: number; onNode: (node: Node) => void }) {
  const { group } = props;
  return (
    <section className="panel service" aria-label={`Service ${group.service}`} data-service={group.service}>
      <div className="service-head">
        <h2>{group.service}</h2>
        <span className="service-counts">
          <Badge tone={group.healthy > 0 ? "ok" : "muted"}>{group.healthy} healthy</Badge>
          {group.late > 0 && <Badge tone="warn">{group.late} late</Badge>}
          {group.lost > 0 && <Badge tone="bad">{group.lost} lost</Badge>}
        </span>
      </div>
      <table className="nodes">
        <colgroup>
          <col className="col-node" />
          <col className="col-health" />
          <col className="col-runtime" />
          <col className="col-uptime" />
          <col className="col-jobs" />
          <col className="col-resource" />
          <col className="col-resource" />
          <col className="col-resource" />
          <col className="col-action" />
        </colgroup>
        <thead>
          <tr>
            <th>Node</th>
            <th>Health</th>
            <th>Language</th>
            <th className="num">Uptime</th>
            <th>Running</th>
            <th>CPU</th>
            <th>Memory</th>
            <th>Disk</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {group.members.map((entry) => (
            <NodeRow key={entry.node.beat?.identity?.nodeId} entry={entry} now={props.now} onNode={props.onNode} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
