import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";

import { MisfirePolicy, ScheduleSpecSchema } from "../../gen/zenith/v1/cron_pb";
import {
  cadenceText,
  EMPTY_SCHEDULE_FORM,
  formToSpec,
  jobPath,
  payloadError,
  specToForm,
  validateForm,
} from "./model";

const filled = { ...EMPTY_SCHEDULE_FORM, id: "nightly", queue: "reports", type: "build" };

describe("validateForm", () => {
  test("a complete form has no errors", () => {
    expect(validateForm(filled)).toEqual({});
  });

  test("names each missing or malformed field", () => {
    const errors = validateForm({
      ...EMPTY_SCHEDULE_FORM,
      id: "bad id",
      payload: "{",
      priority: "high",
      timeout: "soon",
    });
    expect(Object.keys(errors).sort()).toEqual(["id", "payload", "priority", "queue", "timeout", "type"]);
  });

  test("an interval must be at least a second", () => {
    expect(validateForm({ ...filled, cadence: "interval", interval: "0s" }).interval).toBeDefined();
    expect(validateForm({ ...filled, cadence: "interval", interval: "90s" })).toEqual({});
  });
});

test("payloadError accepts empty and valid JSON only", () => {
  expect(payloadError("")).toBeUndefined();
  expect(payloadError('{"a": [1, 2]}')).toBeUndefined();
  expect(payloadError("{a: 1}")).toMatch(/JSON|property/i);
});

test("a form survives the round trip through a spec", () => {
  const form = {
    ...filled,
    cadence: "interval" as const,
    interval: "1h30m",
    timeZone: "Europe/Berlin",
    payload: '{"day": "monday"}',
    priority: "5",
    maxAttempts: "3",
    timeout: "10m",
    jitter: "30s",
    misfire: MisfirePolicy.CATCH_UP,
    description: "weekly report",
  };
  const spec = create(ScheduleSpecSchema, formToSpec(form));
  expect(spec.cron).toBe("");
  expect(Number(spec.interval?.seconds)).toBe(5400);
  expect(spec.job?.contentType).toBe("application/json");
  expect(specToForm(spec)).toEqual({ ...form, cron: "" });
});

test("a cron spec sends no interval and no payload when none is given", () => {
  const spec = create(ScheduleSpecSchema, formToSpec(filled));
  expect(spec.cron).toBe("*/5 * * * *");
  expect(spec.interval).toBeUndefined();
  expect(spec.job?.payload.length).toBe(0);
  expect(spec.job?.contentType).toBe("");
});

test("cadenceText shows the zone only when it is not UTC", () => {
  expect(cadenceText(create(ScheduleSpecSchema, { cron: "0 * * * *", timeZone: "UTC" }))).toBe("0 * * * *");
  expect(cadenceText(create(ScheduleSpecSchema, { cron: "30 2 * * *", timeZone: "Europe/Berlin" }))).toBe(
    "30 2 * * * (Europe/Berlin)",
  );
  expect(cadenceText(create(ScheduleSpecSchema, formToSpec({ ...filled, cadence: "interval", interval: "90s" })))).toBe(
    "every 1m30s",
  );
});

test("jobPath escapes the id and carries the queue", () => {
  expect(jobPath("cron:nightly:1700000000000", "a b")).toBe("/jobs/cron%3Anightly%3A1700000000000?queue=a%20b");
});

test("an edit keeps what the form does not show", () => {
  const stored = create(ScheduleSpecSchema, {
    id: "nightly",
    cron: "0 2 * * *",
    timeZone: "UTC",
    misfireGrace: { seconds: 120n },
    catchUpWindow: { seconds: 3600n },
    job: { queue: "reports", type: "build", headers: { tenant: "acme" }, tags: ["nightly"] },
  });
  const edited = create(ScheduleSpecSchema, formToSpec({ ...specToForm(stored), cron: "0 3 * * *" }, stored));
  expect(edited.cron).toBe("0 3 * * *");
  expect(Number(edited.misfireGrace?.seconds)).toBe(120);
  expect(Number(edited.catchUpWindow?.seconds)).toBe(3600);
  expect(edited.job?.headers).toEqual({ tenant: "acme" });
  expect(edited.job?.tags).toEqual(["nightly"]);
});
