import { expect, test } from "vitest";

import { formatRetention, parseRetention, queueNameError } from "./retention";

test("queue names follow the server's rule", () => {
  expect(queueNameError("demo.emails")).toBeUndefined();
  expect(queueNameError("")).toBe("Name the queue.");
  expect(queueNameError("bad name")).toMatch(/1–128/);
});

test("retention reads a number and a unit", () => {
  expect(parseRetention("7d")).toEqual({ ms: 604_800_000 });
  expect(parseRetention("12h")).toEqual({ ms: 43_200_000 });
  expect(parseRetention("a week")).toHaveProperty("error");
});

test("retention prints in its largest whole unit", () => {
  expect(formatRetention(2_592_000_000)).toBe("30d");
  expect(formatRetention(90 * 60_000)).toBe("90m");
  expect(formatRetention(36 * 3_600_000)).toBe("36h");
  expect(formatRetention(undefined)).toBe("—");
});
