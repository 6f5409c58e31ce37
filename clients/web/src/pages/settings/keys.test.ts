import { create } from "@bufbuild/protobuf";
import { expect, test } from "vitest";

import { ApiKeySchema, Role } from "../../gen/zenith/v1/admin_pb";
import { draftRequest, EMPTY_DRAFT, keyState, rateText, scopeText } from "./keys";

test("a draft becomes a request: queues split, rate and lifetime parsed", () => {
  const checked = draftRequest({
    ...EMPTY_DRAFT,
    name: " billing ",
    role: Role.OPERATOR,
    queues: "emails, sms  push",
    queuePrefix: "billing.",
    payloads: false,
    requestsPerSecond: "20",
    ttl: "90d",
  });
  expect("request" in checked && checked.request).toMatchObject({
    name: "billing",
    role: Role.OPERATOR,
    queues: ["emails", "sms", "push"],
    queuePrefix: "billing.",
    payloads: false,
    requestsPerSecond: 20,
    ttl: { seconds: 90n * 86400n },
  });
});

test("a draft without a name, with a bad rate or a short lifetime says what is wrong", () => {
  const checked = draftRequest({ ...EMPTY_DRAFT, requestsPerSecond: "1.5", ttl: "30s" });
  expect("errors" in checked && Object.keys(checked.errors).sort()).toEqual(["name", "requestsPerSecond", "ttl"]);
  expect("errors" in draftRequest({ ...EMPTY_DRAFT, name: "x", ttl: "soon" })).toBe(true);
  const open = draftRequest({ ...EMPTY_DRAFT, name: "x" });
  expect("request" in open && open.request.ttl).toBeUndefined();
  expect("request" in open && open.request.payloads).toBe(true);
});

test("a key's state, scope and rate read as the table shows them", () => {
  const key = create(ApiKeySchema, { id: "k1", name: "n", queues: ["emails"], queuePrefix: "billing." });
  expect(keyState(key)).toBe("active");
  expect(keyState({ ...key, expiresAt: { seconds: 1n, nanos: 0 } } as typeof key)).toBe("expired");
  expect(keyState({ ...key, revokedAt: { seconds: 1n, nanos: 0 } } as typeof key)).toBe("revoked");
  expect(scopeText(key)).toBe("emails, billing.*");
  expect(scopeText({ queues: [], queuePrefix: "" })).toBe("every queue");
  expect(rateText(0)).toBe("unlimited");
  expect(rateText(5)).toBe("5/s");
});
