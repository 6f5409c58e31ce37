import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";

import { NodeResource, RuleSpecSchema, Severity } from "../../gen/zenith/v1/alert_pb";
import {
  conditionText,
  defaultParams,
  EMPTY_RULE_FORM,
  formToRule,
  labelsText,
  parseLabels,
  ruleToForm,
  scopeText,
  validateRule,
} from "./rules";

describe("labels", () => {
  test("parse and print key=value lists", () => {
    expect(parseLabels("team=ops, tier = 1")).toEqual({ team: "ops", tier: "1" });
    expect(parseLabels("")).toEqual({});
    expect(parseLabels("team")).toBeUndefined();
    expect(parseLabels("=ops")).toBeUndefined();
    expect(labelsText({ team: "ops", tier: "1" })).toBe("team=ops, tier=1");
  });
});

describe("validateRule", () => {
  test("the empty form needs only an id", () => {
    expect(validateRule(EMPTY_RULE_FORM)).toEqual({ id: expect.any(String) });
    expect(validateRule({ ...EMPTY_RULE_FORM, id: "r1" })).toEqual({});
  });

  test("checks each parameter by its type, optional ones may stay empty", () => {
    const form = { ...EMPTY_RULE_FORM, id: "r1", kind: "failureRate" as const, params: { abovePercent: "150", window: "soon", minVolume: "" } };
    expect(validateRule(form)).toEqual({ abovePercent: expect.any(String), window: expect.any(String) });
    expect(validateRule({ ...form, params: { abovePercent: "20", window: "", minVolume: "" } })).toEqual({});
    expect(validateRule({ ...EMPTY_RULE_FORM, id: "r1", params: { above: "" } }).above).toBe("Required");
  });

  test("refuses bad timing and labels", () => {
    const errors = validateRule({ ...EMPTY_RULE_FORM, id: "r1", pendingFor: "x", repeatInterval: "0s", labels: "oops" });
    expect(Object.keys(errors).sort()).toEqual(["labels", "pendingFor", "repeatInterval"]);
  });
});

test("a rule survives the round trip through the form", () => {
  const spec = create(RuleSpecSchema, {
    id: "disk",
    description: "disk is filling",
    severity: Severity.CRITICAL,
    labels: { team: "ops" },
    service: "api",
    pendingFor: { seconds: 300n },
    repeatInterval: { seconds: 3600n },
    channels: ["oncall"],
    condition: { case: "nodeResource", value: { resource: NodeResource.DISK, abovePercent: 90 } },
  });
  const form = ruleToForm(spec);
  expect(form.params).toEqual({ resource: String(NodeResource.DISK), abovePercent: "90" });
  expect(form.scope).toBe("api");
  expect(create(RuleSpecSchema, formToRule(form))).toEqual(spec);
});

test("int64 parameters become bigints and the scope goes to the field of the kind", () => {
  const rule = create(RuleSpecSchema, formToRule({ ...EMPTY_RULE_FORM, id: "b", params: { above: "0" }, scope: "emails" }));
  expect(rule.condition).toEqual({ case: "backlog", value: expect.objectContaining({ above: 0n }) });
  expect(rule.queue).toBe("emails");
  expect(rule.service).toBe("");
  expect(Number(rule.pendingFor?.seconds)).toBe(0);
  expect(rule.repeatInterval).toBeUndefined();
});

test("conditionText and scopeText read as one line", () => {
  const failures = create(RuleSpecSchema, {
    condition: { case: "failureRate", value: { abovePercent: 20, window: { seconds: 300n }, minVolume: 20n } },
  });
  expect(conditionText(failures)).toBe("Failure rate: over 20% failed, in 5m, min 20 finished");
  expect(scopeText(failures)).toBe("all queues");
  const lost = create(RuleSpecSchema, { service: "api", condition: { case: "nodeLost", value: {} } });
  expect(conditionText(lost)).toBe("Node lost");
  expect(scopeText(lost)).toBe("service api");
  expect(scopeText(create(RuleSpecSchema, { condition: { case: "archiveLag", value: {} } }))).toBe("archive");
});

test("defaultParams picks a resource and leaves the rest empty", () => {
  expect(defaultParams("nodeResource")).toEqual({ resource: String(NodeResource.CPU), abovePercent: "" });
  expect(defaultParams("nodeLost")).toEqual({});
});
