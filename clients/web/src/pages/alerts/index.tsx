import { useSearchParams } from "react-router";

import { PageHeader, Tabs } from "../../ui/common";
import "./alerts.css";
import { AlertTable } from "./AlertTable";
import { RulesAndChannels } from "./RulesAndChannels";
import { Silences } from "./Silences";

const TABS = [
  { id: "open", label: "Firing & pending" },
  { id: "resolved", label: "Resolved" },
  { id: "silences", label: "Silences" },
  { id: "rules", label: "Rules & channels" },
] as const;

type TabId = (typeof TABS)[number]["id"];

function isTab(value: string | null): value is TabId {
  return TABS.some((tab) => tab.id === value);
}

// The tab lives in the URL (?tab=rules) so each view can be linked to and survives a reload.
export default function AlertsPage() {
  const [params, setParams] = useSearchParams();
  const requested = params.get("tab");
  const tab: TabId = isTab(requested) ? requested : "open";
  return (
    <>
      <PageHeader title="Alerts" />
      <Tabs tabs={[...TABS]} active={tab} onChange={(id) => setParams(id === "open" ? {} : { tab: id })} />
      {tab === "open" ? <AlertTable key="open" resolved={false} /> : null}
      {tab === "resolved" ? <AlertTable key="resolved" resolved /> : null}
      {tab === "silences" ? <Silences /> : null}
      {tab === "rules" ? <RulesAndChannels /> : null}
    </>
  );
}
