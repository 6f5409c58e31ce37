import { PageHeader } from "../../ui/common";
import { ApiKeysPanel } from "./ApiKeysPanel";
import { ArchiveStatusPanel } from "./ArchiveStatusPanel";
import { RetentionPanel } from "./RetentionPanel";
import { ServerPanel } from "./ServerPanel";
import { SessionPanel } from "./SessionPanel";
import "./settings.css";

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" />
      <div className="settings-columns">
        <SessionPanel />
        <ServerPanel />
      </div>
      <ApiKeysPanel />
      <ArchiveStatusPanel />
      <RetentionPanel />
    </>
  );
}
