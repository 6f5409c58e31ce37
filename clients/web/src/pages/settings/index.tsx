import { PageHeader } from "../../ui/common";

export default function SettingsPage() {
  return <PageHeader title="Settings" />;
}
