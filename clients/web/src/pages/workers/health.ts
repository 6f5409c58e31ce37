import { NodeHealth } from "../../gen/zenith/v1/pulse_pb";

export type HealthName = "healthy" | "late" | "lost";

export const HEALTH: Record<HealthName, { value: NodeHealth; tone: "ok" | "warn" | "bad" }> = {
  healthy: { value: NodeHealth.HEALTHY, tone: "ok" },
  late: { value: NodeHealth.LATE, tone: "warn" },
  lost: { value: NodeHealth.LOST, tone: "bad" },
};

export function healthName(health: NodeHealth): HealthName | undefined {
  if (health === NodeHealth.HEALTHY) return "healthy";
  if (health === NodeHealth.LATE) return "late";
  if (health === NodeHealth.LOST) return "lost";
  return undefined;
}
