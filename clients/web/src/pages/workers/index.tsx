import { useCallback, useMemo, useReducer } from "react";
import { useSearchParams } from "react-router";

import { pulse } from "../../api/clients";
import { useStream } from "../../api/stream";
import type { Node, WatchNodesResponse } from "../../gen/zenith/v1/pulse_pb";
import { Empty, ErrorBox, PageHeader } from "../../ui/common";
import { ExternalQueues } from "./ExternalQueues";
import { Filters, filterFromParams } from "./Filters";
import { HEALTH } from "./health";
import {
  applyNode,
  applyWatch,
  EMPTY_NODES,
  groupByService,
  healthCounts,
  matches,
  type NodeEntry,
  type NodesState,
  streamOpened,
} from "./nodes";
import { ServicePanel } from "./ServicePanel";
import { useNow } from "../../ui/useNow";
import "./workers.css";

type NodesAction =
  | { kind: "opened" }
  | { kind: "watch"; response: WatchNodesResponse }
  | { kind: "node"; node: Node };

function reduce(state: NodesState, action: NodesAction): NodesState {
  switch (action.kind) {
    case "opened":
      return streamOpened(state);
    case "watch":
      return applyWatch(state, action.response);
    case "node":
      return applyNode(state, action.node);
  }
}

export default function WorkersPage() {
  const [state, dispatch] = useReducer(reduce, EMPTY_NODES);
  const [params, setParams] = useSearchParams();
  const filter = filterFromParams(params);
  const now = useNow(1000);

  const stream = useStream(
    (signal) => {
      dispatch({ kind: "opened" });
      return pulse.watchNodes({}, { signal });
    },
    [],
    (response) => dispatch({ kind: "watch", response }),
  );
  const onNode = useCallback((node: Node) => dispatch({ kind: "node", node }), []);

  const entries = useMemo(() => [...state.nodes.values()], [state.nodes]);
  const shown = entries.filter((entry) => matches(entry.node, filter));
  const groups = groupByService(shown, (entry: NodeEntry) => entry.node);
  const counts = healthCounts(shown.map((entry) => entry.node));
  const loaded = stream.latest !== undefined;

  return (
    <div className="workers">
      <PageHeader title="Workers">
        <Filters nodes={entries.map((entry) => entry.node)} params={params} onChange={setParams} />
      </PageHeader>
      <ErrorBox error={stream.error} />
      <p className="workers-summary" aria-label="Node counts">
        <span className="num">{loaded ? shown.length : "—"}</span> {shown.length === 1 ? "node" : "nodes"} in{" "}
        <span className="num">{loaded ? groups.length : "—"}</span> {groups.length === 1 ? "service" : "services"} ·{" "}
        <span className={`health-text ${HEALTH.healthy.tone}`}>{counts.healthy} healthy</span> ·{" "}
        <span className={`health-text ${HEALTH.late.tone}`}>{counts.late} late</span> ·{" "}
        <span className={`health-text ${HEALTH.lost.tone}`}>{counts.lost} lost</span>
      </p>
      {loaded && groups.length === 0 && (
        <div className="panel">
          <Empty>
            {entries.length === 0
              ? "No node beats yet. Workers of every SDK, and `zenith work`, beat by themselves."
              : "No node matches the filters."}
          </Empty>
        </div>
      )}
      {!loaded && <div className="panel workers-loading">Connecting…</div>}
      {groups.map((group) => (
        <ServicePanel key={group.service} group={group} now={now} onNode={onNode} />
      ))}
      <ExternalQueues now={now} />
    </div>
  );
}
