import { PageHeader } from "../../ui/common";

export default function JobPage() {
  return <PageHeader title="Job" />;
}
