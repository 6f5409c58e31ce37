import { describe, expect, test } from "vitest";

import { durationFieldText, durationFromSeconds, durationText, parseDuration } from "./duration";

describe("parseDuration", () => {
  test("reads units, combinations and bare seconds", () => {
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("5m")).toBe(300);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration(" 2D ")).toBe(172800);
    expect(parseDuration("45")).toBe(45);
  });

  test("refuses what is not a duration", () => {
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration("5 minutes")).toBeUndefined();
    expect(parseDuration("1.5h")).toBeUndefined();
    expect(parseDuration("h")).toBeUndefined();
  });
});

test("durationText is the inverse of parseDuration", () => {
  for (const seconds of [0, 1, 59, 60, 3600, 5400, 90061]) {
    expect(parseDuration(durationText(seconds))).toBe(seconds);
  }
  expect(durationText(5400)).toBe("1h30m");
  expect(durationFieldText(undefined)).toBe("");
  expect(durationFieldText(durationFromSeconds(300))).toBe("5m");
});
