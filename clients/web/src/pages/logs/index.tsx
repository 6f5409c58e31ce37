import { PageHeader } from "../../ui/common";

export default function LogsPage() {
  return <PageHeader title="Logs" />;
}
