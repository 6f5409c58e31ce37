import { PageHeader } from "../../ui/common";

export default function QueuePage() {
  return <PageHeader title="Queue" />;
}
