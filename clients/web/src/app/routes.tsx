import type { ComponentType } from "react";

import AlertsPage from "../pages/alerts";
import AuditPage from "../pages/audit";
import CronPage from "../pages/cron";
import JobPage from "../pages/job";
import LogsPage from "../pages/logs";
import OverviewPage from "../pages/overview";
import QueuePage from "../pages/queue";
import QueuesPage from "../pages/queues";
import SearchPage from "../pages/search";
import SettingsPage from "../pages/settings";
import WorkersPage from "../pages/workers";

export interface PageRoute {
  path: string;
  component: ComponentType;
  // Pages with a title appear in the sidebar and the Ctrl+K palette, in this order.
  title?: string;
  shortcut?: string;
}

export const ROUTES: PageRoute[] = [
  { path: "/", component: OverviewPage, title: "Overview", shortcut: "g o" },
  { path: "/queues", component: QueuesPage, title: "Queues", shortcut: "g q" },
  { path: "/queues/:queue", component: QueuePage },
  { path: "/jobs/:id", component: JobPage },
  { path: "/workers", component: WorkersPage, title: "Workers", shortcut: "g w" },
  { path: "/cron", component: CronPage, title: "Cron", shortcut: "g c" },
  { path: "/cron/:schedule", component: CronPage },
  { path: "/alerts", component: AlertsPage, title: "Alerts", shortcut: "g a" },
  { path: "/search", component: SearchPage, title: "Search", shortcut: "g s" },
  { path: "/logs", component: LogsPage, title: "Logs", shortcut: "g l" },
  { path: "/audit", component: AuditPage, title: "Audit" },
  { path: "/settings", component: SettingsPage, title: "Settings" },
];
