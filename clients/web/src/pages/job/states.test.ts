import { expect, test } from "vitest";

import { JobState } from "../../gen/zenith/v1/job_pb";
import { actionsFor, stateName } from "./states";

test("offers only the actions the server accepts in each state", () => {
  expect(actionsFor(JobState.DEAD, true)).toEqual(["retry", "delete"]);
  expect(actionsFor(JobState.RETRY, true)).toEqual(["retry", "promote", "cancel", "delete"]);
  expect(actionsFor(JobState.ACTIVE, true)).toEqual(["cancel"]);
  expect(actionsFor(JobState.COMPLETED, true)).toEqual(["delete"]);
  expect(actionsFor(JobState.DEAD, false)).toEqual([]);
});

test("names states as the filter language does", () => {
  expect(stateName(JobState.DEAD)).toBe("dead");
  expect(stateName(JobState.CANCELLED)).toBe("cancelled");
});
