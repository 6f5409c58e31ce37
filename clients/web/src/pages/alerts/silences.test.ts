import { create } from "@bufbuild/protobuf";
import { expect, test } from "vitest";

import { SilenceSpecSchema } from "../../gen/zenith/v1/alert_pb";
import { silenceEnd, type SilenceForm, silenceMatchers, validateSilence } from "./silences";

const form: SilenceForm = { ruleId: "backlog", queue: "", service: "", ends: "duration", duration: "2h", endsAt: "", comment: "deploy" };

test("a silence needs a matcher, a sane length and a comment", () => {
  expect(validateSilence(form)).toBeUndefined();
  expect(validateSilence({ ...form, ruleId: "" })).toMatch(/matcher/);
  expect(validateSilence({ ...form, duration: "30s" })).toMatch(/1m to 90d/);
  expect(validateSilence({ ...form, duration: "91d" })).toMatch(/1m to 90d/);
  expect(validateSilence({ ...form, comment: " " })).toMatch(/comment/);
  const now = Date.parse("2026-11-23T10:00:00");
  expect(validateSilence({ ...form, ends: "at", endsAt: "2026-11-23T10:00" }, now)).toMatch(/minute/);
  expect(validateSilence({ ...form, ends: "at", endsAt: "2026-11-23T12:00" }, now)).toBeUndefined();
});

test("silenceEnd sends a duration or an end time", () => {
  expect(Number(silenceEnd(form).duration?.seconds)).toBe(7200);
  const at = silenceEnd({ ...form, ends: "at", endsAt: "2026-11-23T12:00" });
  expect(Number(at.endsAt?.seconds) * 1000).toBe(Date.parse("2026-11-23T12:00"));
});

test("silenceMatchers lists the matchers given", () => {
  expect(silenceMatchers(create(SilenceSpecSchema, { ruleId: "backlog", queue: "emails" }))).toBe("rule=backlog queue=emails");
  expect(silenceMatchers(undefined)).toBe("—");
});
