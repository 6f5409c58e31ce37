import { describe, expect, test } from "vitest";

import { JobState } from "../../gen/zenith/v1/job_pb";
import { parseAge, quotePhrase, readSearchParams, splitList, toRequest, writeSearchParams } from "./query";

describe("search params", () => {
  test("round-trip through the URL", () => {
    const search = {
      q: 'payload.email = "a@b.c"',
      queues: ["emails", "billing"],
      states: [JobState.DEAD, JobState.RETRY],
      types: ["send"],
      since: "24h",
    };
    const url = writeSearchParams(search);
    expect(url.toString()).toBe(
      "q=payload.email+%3D+%22a%40b.c%22&queue=emails&queue=billing&state=dead&state=retry&type=send&since=24h",
    );
    expect(readSearchParams(url)).toEqual(search);
  });

  test("ignore unknown states", () => {
    expect(readSearchParams(new URLSearchParams("state=dead&state=bogus")).states).toEqual([JobState.DEAD]);
  });

  test("become a request with the time range counted back from now", () => {
    const request = toRequest(readSearchParams(new URLSearchParams("q=x&since=1h")), "tok", 7_200_000);
    expect(request.query).toBe("x");
    expect(request.pageToken).toBe("tok");
    expect(request.createdAfter?.seconds).toBe(3600n);
    expect(toRequest(readSearchParams(new URLSearchParams("q=x")), "", 0).createdAfter).toBeUndefined();
  });
});

test("parseAge reads s, m, h and d", () => {
  expect(parseAge("15m")).toBe(900_000);
  expect(parseAge("7d")).toBe(604_800_000);
  expect(parseAge("soon")).toBeUndefined();
});

test("splitList drops blanks and spaces", () => {
  expect(splitList(" a, b ,,c ")).toEqual(["a", "b", "c"]);
});

test("quotePhrase escapes quotes and backslashes", () => {
  expect(quotePhrase('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
});
