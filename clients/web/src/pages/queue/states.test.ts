import { expect, test } from "vitest";

import { BulkAction } from "../../gen/zenith/v1/bulk_pb";
import { JobState } from "../../gen/zenith/v1/job_pb";
import { actionsFor, bulkOperationAllowed, confirmLabel, confirmTitle, purgeableCount, stateFromSlug } from "./states";

test("a ?state= value picks its tab, case-insensitively, and unknown values fall back to pending", () => {
  expect(stateFromSlug("dead").state).toBe(JobState.DEAD);
  expect(stateFromSlug("Cancelled").state).toBe(JobState.CANCELLED);
  expect(stateFromSlug("deleted").state).toBe(JobState.PENDING);
  expect(stateFromSlug(null).state).toBe(JobState.PENDING);
});

test("each state offers only the actions the server accepts", () => {
  const verbs = (state: JobState) => actionsFor(state).map((a) => a.action);
  expect(verbs(JobState.DEAD)).toEqual([BulkAction.RETRY, BulkAction.DELETE]);
  expect(verbs(JobState.RETRY)).toEqual([BulkAction.RETRY, BulkAction.PROMOTE, BulkAction.CANCEL, BulkAction.DELETE]);
  expect(verbs(JobState.PENDING)).toEqual([BulkAction.CANCEL, BulkAction.DELETE]);
  expect(verbs(JobState.ACTIVE)).toEqual([BulkAction.CANCEL]);
  expect(verbs(JobState.COMPLETED)).toEqual([BulkAction.DELETE]);
  expect(bulkOperationAllowed(JobState.ACTIVE)).toBe(false);
  expect(bulkOperationAllowed(JobState.DEAD)).toBe(true);
});

test("the confirmation names the count and the state", () => {
  const [retry] = actionsFor(JobState.DEAD);
  expect(confirmTitle(retry, 1234n, stateFromSlug("dead"))).toBe("Retry 1,234 dead jobs?");
  expect(confirmTitle(retry, 1, stateFromSlug("dead"))).toBe("Retry 1 dead job?");
  const [cancel] = actionsFor(JobState.PENDING);
  expect(confirmLabel(cancel, 2)).toBe("Cancel 2 jobs");
});

test("a purge counts every state but active", () => {
  const counts = { pending: 1n, scheduled: 2n, active: 100n, retry: 3n, dead: 4n, completed: 5n, cancelled: 6n };
  expect(purgeableCount({ $typeName: "zenith.v1.QueueCounts", ...counts })).toBe(21n);
  expect(purgeableCount(undefined)).toBe(0n);
});
