// API keys as the settings page shows and makes them.
import { type MessageInitShape } from "@bufbuild/protobuf";

import { type ApiKey, type CreateApiKeyRequestSchema, Role } from "../../gen/zenith/v1/admin_pb";
import { durationFromSeconds, parseDuration } from "../../ui/duration";
import { tsMillis } from "../../ui/format";

export type KeyState = "active" | "expired" | "revoked";

export function keyState(key: ApiKey, now = Date.now()): KeyState {
  if (key.revokedAt) return "revoked";
  const expires = tsMillis(key.expiresAt);
  return expires !== undefined && expires <= now ? "expired" : "active";
}

// "every queue", "emails, sms", "billing.*", or both.
export function scopeText(key: Pick<ApiKey, "queues" | "queuePrefix">): string {
  const parts = [...key.queues];
  if (key.queuePrefix) parts.push(`${key.queuePrefix}*`);
  return parts.length ? parts.join(", ") : "every queue";
}

export function rateText(requestsPerSecond: number): string {
  return requestsPerSecond > 0 ? `${requestsPerSecond}/s` : "unlimited";
}

export interface KeyDraft {
  name: string;
  role: Role;
  queues: string;
  queuePrefix: string;
  payloads: boolean;
  requestsPerSecond: string;
  ttl: string;
}

export const EMPTY_DRAFT: KeyDraft = {
  name: "",
  role: Role.VIEWER,
  queues: "",
  queuePrefix: "",
  payloads: true,
  requestsPerSecond: "",
  ttl: "",
};

export type DraftErrors = Partial<Record<keyof KeyDraft, string>>;
type CreateRequest = MessageInitShape<typeof CreateApiKeyRequestSchema>;

// The request a draft makes, or what is wrong with it (the server checks again).
export function draftRequest(draft: KeyDraft): { request: CreateRequest } | { errors: DraftErrors } {
  const errors: DraftErrors = {};
  const name = draft.name.trim();
  if (!name) errors.name = "Name the key: what or who is it for?";
  else if (name.length > 64) errors.name = "At most 64 characters.";
  const rateText = draft.requestsPerSecond.trim();
  const rate = rateText === "" ? 0 : Number(rateText);
  if (!Number.isInteger(rate) || rate < 0 || rate > 2_147_483_647) {
    errors.requestsPerSecond = "A whole number of calls per second; empty or 0 is unlimited.";
  }
  let ttl: number | undefined;
  if (draft.ttl.trim()) {
    ttl = parseDuration(draft.ttl);
    if (ttl === undefined) errors.ttl = "A duration such as 90d, 12h or 30m; empty never expires.";
    else if (ttl < 60) errors.ttl = "At least a minute.";
  }
  if (Object.keys(errors).length) return { errors };
  return {
    request: {
      name,
      role: draft.role,
      queues: draft.queues
        .split(/[,\s]+/)
        .map((queue) => queue.trim())
        .filter(Boolean),
      queuePrefix: draft.queuePrefix.trim(),
      payloads: draft.payloads,
      requestsPerSecond: rate,
      ttl: ttl === undefined ? undefined : durationFromSeconds(ttl),
    },
  };
}
