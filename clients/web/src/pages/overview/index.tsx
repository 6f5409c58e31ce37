import { PageHeader } from "../../ui/common";

export default function OverviewPage() {
  return <PageHeader title="Overview" />;
}
