import { create } from "@bufbuild/protobuf";
import { expect, test } from "vitest";

import { JobSchema, JobState } from "../../gen/zenith/v1/job_pb";
import { jobsToCsv, jobsToJson } from "./exportJobs";

const job = create(JobSchema, {
  id: "j1",
  queue: "emails",
  type: "send",
  state: JobState.DEAD,
  attempts: 3,
  maxAttempts: 3,
  lastError: 'smtp said "no"',
  tags: ["vip", "eu"],
  payload: new TextEncoder().encode('{"to":"a@b.c"}'),
  createdAt: { seconds: 1_795_000_000n, nanos: 0 },
});

test("csv has a header and one row per job, payload as text", () => {
  const lines = jobsToCsv([job]).trimEnd().split("\r\n");
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^"id","queue","type","state","attempts"/);
  expect(lines[1]).toContain('"j1","emails","send","dead","3","3"');
  expect(lines[1]).toContain('"smtp said ""no"""');
  expect(lines[1]).toContain('"vip eu"');
  expect(lines[1]).toContain(new Date(1_795_000_000_000).toISOString());
});

test("json keeps fields typed and times as RFC 3339", () => {
  const [row] = JSON.parse(jobsToJson([job]));
  expect(row).toMatchObject({ id: "j1", state: "dead", attempts: 3, tags: ["vip", "eu"], payload: '{"to":"a@b.c"}' });
  expect(row.started_at).toBe("");
});

test("a job whose payload the key may not see exports with an empty payload, marked hidden", () => {
  const hidden = create(JobSchema, { ...job, payload: new Uint8Array(), payloadRedacted: true });
  const [row] = JSON.parse(jobsToJson([hidden]));
  expect(row).toMatchObject({ id: "j1", payload: "", payload_redacted: true });
  const lines = jobsToCsv([hidden, job]).trimEnd().split("\r\n");
  expect(lines[0]).toMatch(/"payload","payload_redacted"$/);
  expect(lines[1]).toMatch(/"","true"$/);
  expect(lines[2]).toMatch(/"false"$/);
});
