import { expect, test } from "vitest";

import { JobState } from "../../gen/zenith/v1/job_pb";
import { JobActionOutcome, type JobActionResult } from "../../gen/zenith/v1/queue_pb";
import { chunks, describeTally, tally } from "./batch";

function result(outcome: JobActionOutcome): JobActionResult {
  return { $typeName: "zenith.v1.JobActionResult", id: "x", queue: "q", outcome, state: JobState.PENDING, message: "" };
}

test("ids go out in chunks of at most the limit", () => {
  const ids = Array.from({ length: 2500 }, (_, i) => String(i));
  expect(chunks(ids, 1000).map((c) => c.length)).toEqual([1000, 1000, 500]);
  expect(chunks([], 1000)).toEqual([]);
});

test("results are counted by outcome and described", () => {
  const counts = tally([
    result(JobActionOutcome.DONE),
    result(JobActionOutcome.DONE),
    result(JobActionOutcome.NOT_FOUND),
    result(JobActionOutcome.WRONG_STATE),
  ]);
  expect(counts).toEqual({ done: 2, requested: 0, notFound: 1, wrongState: 1 });
  expect(describeTally("Retried", counts)).toBe("Retried 2 · 1 not found · 1 in another state by now");
});
