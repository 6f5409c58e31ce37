import { PageHeader } from "../../ui/common";
import { ApiKeyPanel } from "./ApiKeyPanel";
import { ArchiveStatusPanel } from "./ArchiveStatusPanel";
import { RetentionPanel } from "./RetentionPanel";
import { ServerPanel } from "./ServerPanel";
import "./settings.css";

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" />
      <div className="settings-columns">
        <ApiKeyPanel />
        <ServerPanel />
      </div>
      <ArchiveStatusPanel />
      <RetentionPanel />
    </>
  );
}
