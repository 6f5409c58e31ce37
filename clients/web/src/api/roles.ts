import { Role } from "../gen/zenith/v1/admin_pb";

// Roles as the server and the CLI name them: viewer, operator, admin, worker.
export function roleName(role: Role): string {
  return role === Role.UNSPECIFIED ? "none" : (Role[role] ?? "unknown").toLowerCase();
}

export const ROLE_CHOICES: { role: Role; label: string; hint: string }[] = [
  { role: Role.VIEWER, label: "viewer", hint: "reads queues, jobs, nodes, logs, schedules, alerts" },
  { role: Role.OPERATOR, label: "operator", hint: "a viewer that may also retry, pause, trigger, acknowledge, enqueue" },
  { role: Role.ADMIN, label: "admin", hint: "everything, including deletes, purges, configuration, keys and audit" },
  { role: Role.WORKER, label: "worker", hint: "for worker processes: enqueue, reserve, ack, beat, write logs" },
];
