import { PageHeader } from "../../ui/common";

export default function WorkersPage() {
  return <PageHeader title="Workers" />;
}
