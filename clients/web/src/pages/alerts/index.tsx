import { PageHeader } from "../../ui/common";

export default function AlertsPage() {
  return <PageHeader title="Alerts" />;
}
