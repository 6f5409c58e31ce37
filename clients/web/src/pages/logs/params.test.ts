import { expect, test } from "vitest";

import { LogLevel } from "../../gen/zenith/v1/logs_pb";
import { localMillis, readLogParams, toLogFilter, writeLogParams } from "./params";

test("log params round-trip through the URL, leaving blanks out", () => {
  const params = readLogParams(new URLSearchParams("mode=search&level=warn&job=j1&text=card%20declined"));
  expect(params).toMatchObject({ mode: "search", level: LogLevel.WARN, job: "j1", text: "card declined", queue: "" });
  expect(writeLogParams(params).toString()).toBe("mode=search&level=warn&job=j1&text=card+declined");
});

test("an unknown mode or level falls back to the tail and every level", () => {
  expect(readLogParams(new URLSearchParams("mode=x&level=loud"))).toMatchObject({
    mode: "tail",
    level: LogLevel.UNSPECIFIED,
  });
});

test("the filter carries trimmed fields", () => {
  const params = readLogParams(new URLSearchParams("service=%20api%20&level=error"));
  expect(toLogFilter(params)).toEqual({ minLevel: LogLevel.ERROR, service: "api", queue: "", jobId: "" });
});

test("localMillis reads datetime-local values", () => {
  expect(localMillis("")).toBeUndefined();
  expect(localMillis("nonsense")).toBeUndefined();
  expect(localMillis("2026-11-23T09:30")).toBe(new Date(2026, 10, 23, 9, 30).getTime());
});
