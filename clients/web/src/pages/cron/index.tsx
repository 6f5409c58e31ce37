import { PageHeader } from "../../ui/common";

export default function CronPage() {
  return <PageHeader title="Cron" />;
}
