import { PageHeader } from "../../ui/common";

export default function QueuesPage() {
  return <PageHeader title="Queues" />;
}
