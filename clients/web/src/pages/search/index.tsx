import { PageHeader } from "../../ui/common";

export default function SearchPage() {
  return <PageHeader title="Search" />;
}
