// The queues list and a queue's page against a real server: live counts, pause and resume,
// enqueue, purge, and fixing dead jobs one by one, by selection and by filter.
import { readFileSync } from "node:fs";

import { afterAll, beforeAll, expect, test } from "vitest";

import { JobState } from "../src/gen/zenith/v1/job_pb";
import { PulseService } from "../src/gen/zenith/v1/pulse_pb";
import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { WorkerService } from "../src/gen/zenith/v1/worker_pb";
import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const encoder = new TextEncoder();

async function enqueueMany(queue: string, count: number, maxAttempts = 0): Promise<string[]> {
  const api = h.client(QueueService);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { job } = await api.enqueue({
      job: { queue, type: "send_email", payload: encoder.encode(JSON.stringify({ n: i })), maxAttempts },
    });
    ids.push(job!.id);
  }
  return ids;
}

// Dead jobs made deterministically: one attempt each, reserved and failed for good with the
// given error. Nothing else works these queues (the demo worker takes only demo.*).
async function seedDead(queue: string, errors: string[]): Promise<Map<string, string>> {
  const ids = await enqueueMany(queue, errors.length, 1);
  const worker = h.client(WorkerService);
  const { jobs } = await worker.reserve({ queues: [queue], maxJobs: errors.length });
  expect(jobs).toHaveLength(errors.length);
  const errorById = new Map<string, string>();
  for (const reserved of jobs) {
    const id = reserved.job!.id;
    const error = errors[ids.indexOf(id)];
    await worker.fail({ queue, jobId: id, leaseToken: reserved.leaseToken, error, retryable: false });
    errorById.set(id, error);
  }
  return errorById;
}

async function listIds(queue: string, state: JobState): Promise<string[]> {
  const { jobs } = await h.client(QueueService).listJobs({ queue, state, pageSize: 500 });
  return jobs.map((job) => job.id).sort();
}

test("the queues table lists the demo queues with live counts, sortable", async () => {
  const page = await h.open("/queues");
  const table = page.getByRole("table", { name: "Queues" });
  for (const name of ["demo.emails", "demo.reports", "demo.webhooks"]) {
    await table.locator(`tr[data-queue="${name}"]`).waitFor();
  }
  // The demo keeps enqueueing: the count changes on screen without a reload.
  const enqueued = (name: string) =>
    page.locator(`tr[data-queue="${name}"] td[data-count]`).allTextContents().then((cells) =>
      cells.reduce((sum, cell) => sum + Number(cell.replaceAll(",", "")), 0),
    );
  const before = await enqueued("demo.emails");
  await expect.poll(() => enqueued("demo.emails"), { timeout: 20_000 }).toBeGreaterThan(before);

  const names = () => table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-queue")));
  expect(await names()).toEqual(["demo.emails", "demo.reports", "demo.webhooks"]);
  await table.getByRole("columnheader", { name: "Queue" }).click();
  expect(await names()).toEqual(["demo.webhooks", "demo.reports", "demo.emails"]);
  expect(await table.getByRole("columnheader", { name: "Queue" }).getAttribute("aria-sort")).toBe("descending");
  await table.getByRole("columnheader", { name: "Queue" }).click();
  await h.screenshot("queues");
});

test("a queue is paused and resumed from the page", async () => {
  const api = h.client(QueueService);
  const page = await h.open("/queues");
  const row = page.locator('tr[data-queue="demo.reports"]');
  await page.getByRole("button", { name: "Pause demo.reports" }).click();
  await expect.poll(async () => (await api.getQueue({ name: "demo.reports" })).queue?.paused).toBe(true);
  await row.getByText("paused").waitFor();
  await page.getByRole("button", { name: "Resume demo.reports" }).click();
  await expect.poll(async () => (await api.getQueue({ name: "demo.reports" })).queue?.paused).toBe(false);
  await row.getByText("paused").waitFor({ state: "detached" });
});

test("the enqueue form refuses bad JSON and enqueues a good job", async () => {
  const page = await h.open("/queues");
  const form = page.getByRole("form", { name: "Enqueue a job" });
  const submit = form.getByRole("button", { name: "Enqueue" });
  await form.getByLabel("Queue").fill("e2e.form");
  await form.getByLabel("Type").fill("send_welcome");
  const payload = form.getByRole("textbox", { name: /Payload/ });
  await payload.fill('{"to": ');
  expect(await form.getByRole("alert").textContent()).toMatch(/JSON/);
  expect(await payload.getAttribute("aria-invalid")).toBe("true");
  expect(await submit.isDisabled()).toBe(true);

  await payload.fill('{"to": "ada@example.com"}');
  expect(await form.getByRole("alert").count()).toBe(0);
  await form.getByLabel("Delay (seconds)").fill("600");
  await form.getByLabel("Priority").fill("7");
  await form.getByLabel("Unique key").fill("welcome-ada");
  expect(await submit.isDisabled()).toBe(false);
  await submit.click();

  const link = form.getByRole("status").getByRole("link");
  await link.waitFor();
  const id = (await link.textContent()) ?? "";
  expect(await link.getAttribute("href")).toBe(`/jobs/${id}?queue=e2e.form`);
  const { job } = await h.client(QueueService).getJob({ id, queue: "e2e.form" });
  expect(job?.type).toBe("send_welcome");
  expect(job?.state).toBe(JobState.SCHEDULED);
  expect(job?.priority).toBe(7);
  expect(job?.uniqueKey).toBe("welcome-ada");
  expect(JSON.parse(new TextDecoder().decode(job?.payload))).toEqual({ to: "ada@example.com" });
});

test("purge asks with the number of jobs it deletes, then deletes them", async () => {
  await enqueueMany("e2e.purge", 3);
  const page = await h.open("/queues");
  await page.locator('tr[data-queue="e2e.purge"] td[data-count="pending"]').getByText("3").waitFor();
  await page.getByRole("button", { name: "Purge e2e.purge" }).click();
  const dialog = page.getByRole("dialog");
  expect(await dialog.getByRole("heading").textContent()).toBe("Purge 3 jobs from e2e.purge?");
  await dialog.getByRole("button", { name: "Purge" }).click();
  await page.getByRole("region", { name: "Bulk operation" }).getByText("done", { exact: true }).waitFor();
  expect(await listIds("e2e.purge", JobState.PENDING)).toEqual([]);
});

test("dead jobs matching a filter are retried by a bulk operation, the others stay dead", async () => {
  const timeouts = Array.from({ length: 5 }, (_, i) => `smtp timeout after ${30 + i}s`);
  const refused = Array.from({ length: 3 }, () => "invalid address");
  const seeded = await seedDead("e2e.bulk", [...timeouts, ...refused]);
  const timedOut = [...seeded].filter(([, error]) => error.includes("timeout")).map(([id]) => id).sort();
  const others = [...seeded].filter(([, error]) => !error.includes("timeout")).map(([id]) => id).sort();

  const page = await h.open("/queues/e2e.bulk?state=dead");
  const rows = page.getByRole("grid", { name: "Jobs" }).locator("[data-job-id]");
  await expect.poll(() => rows.count()).toBe(8);
  const deadTab = page.getByRole("tab", { name: /Dead/ });
  expect(await deadTab.getAttribute("aria-selected")).toBe("true");
  await expect.poll(() => deadTab.textContent()).toBe("Dead 8");

  // The server judges the filter: a bare word is refused with its position.
  const filter = page.getByRole("textbox", { name: "Filter" });
  await filter.fill("error = timeout");
  await page.getByRole("button", { name: "Apply" }).click();
  const refusal = page.getByRole("search").getByRole("alert");
  await refusal.waitFor();
  expect(await refusal.textContent()).toMatch(/^Invalid filter: filter: at position \d+/);
  expect(await filter.getAttribute("aria-invalid")).toBe("true");

  await filter.fill('error : "timeout"');
  await page.getByRole("button", { name: "Apply" }).click();
  await expect.poll(() => rows.count()).toBe(5);
  expect(new URL(page.url()).searchParams.get("filter")).toBe('error : "timeout"');
  expect(await page.getByRole("search").getByRole("alert").count()).toBe(0);

  await rows.first().getByRole("checkbox").check();
  const selectMatching = page.getByRole("button", { name: "Select all 5 matching" });
  await selectMatching.waitFor();
  await h.screenshot("queue");
  await selectMatching.click();
  await page.getByText("All 5 matching selected").waitFor();
  await page.getByRole("toolbar", { name: "Selection" }).getByRole("button", { name: "Retry" }).click();
  const dialog = page.getByRole("dialog");
  expect(await dialog.getByRole("heading").textContent()).toBe("Retry 5 dead jobs?");
  await dialog.getByRole("button", { name: "Retry 5 jobs" }).click();

  const progress = page.getByRole("region", { name: "Bulk operation" });
  await progress.getByText("done", { exact: true }).waitFor();
  expect(await progress.getByTestId("bulk-done").textContent()).toBe("5");
  expect(await listIds("e2e.bulk", JobState.DEAD)).toEqual(others);
  expect(await listIds("e2e.bulk", JobState.PENDING)).toEqual(timedOut);
  await expect.poll(() => rows.count()).toBe(0);
  await expect.poll(() => deadTab.textContent()).toBe("Dead 3");
});

test("rows are picked with checkboxes, Ctrl+A and Esc, and the selection exports as CSV", async () => {
  const ids = await enqueueMany("e2e.select", 6);
  const page = await h.open("/queues/e2e.select?state=pending");
  const grid = page.getByRole("grid", { name: "Jobs" });
  const rows = grid.locator("[data-job-id]");
  await expect.poll(() => rows.count()).toBe(6);
  const summary = page.getByRole("toolbar", { name: "Selection" }).getByRole("status");
  const selectedRows = () => grid.locator('[data-job-id][aria-selected="true"]').count();

  await rows.nth(0).getByRole("gridcell").nth(2).click();
  expect(await summary.textContent()).toBe("1 selected");
  await page.keyboard.press("Control+a");
  expect(await summary.textContent()).toBe("6 selected");
  expect(await selectedRows()).toBe(6);
  await page.keyboard.press("Escape");
  expect(await summary.textContent()).toBe("6 loaded");
  expect(await selectedRows()).toBe(0);

  const picked = [ids[1], ids[3]];
  for (const id of picked) await grid.locator(`[data-job-id="${id}"]`).getByRole("checkbox").check();
  expect(await summary.textContent()).toBe("2 selected");
  // In a text field Ctrl+A selects text, not rows.
  await page.getByRole("textbox", { name: "Filter" }).focus();
  await page.keyboard.press("Control+a");
  expect(await summary.textContent()).toBe("2 selected");

  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("toolbar", { name: "Selection" }).getByRole("button", { name: "CSV" }).click(),
  ]);
  expect(file.suggestedFilename()).toBe("e2e.select-pending-jobs.csv");
  const lines = readFileSync(await file.path(), "utf8").trimEnd().split("\r\n");
  expect(lines[0]).toMatch(/^"id","queue","type","state"/);
  expect(lines.slice(1).map((line) => line.split(",")[0].replaceAll('"', ""))).toEqual(picked);
  expect(lines.slice(1).every((line) => line.includes('"e2e.select","send_email","pending"'))).toBe(true);
});

test("the list pages in as it scrolls, renders only the rows in view, and acts on picked ids", async () => {
  const api = h.client(QueueService);
  const specs = Array.from({ length: 450 }, (_, i) => ({ queue: "e2e.paging", type: "resize", payload: encoder.encode(`{"n":${i}}`) }));
  await api.batchEnqueue({ jobs: specs });
  const page = await h.open("/queues/e2e.paging?state=pending");
  const grid = page.getByRole("grid", { name: "Jobs" });
  const summary = page.getByRole("toolbar", { name: "Selection" }).getByRole("status");
  await expect.poll(() => summary.textContent()).toBe("200 loaded");
  expect(await grid.locator("[data-job-id]").count()).toBeLessThan(60);

  const scroller = grid.locator(".job-scroll");
  await expect
    .poll(async () => {
      await scroller.evaluate((element) => element.scrollTo(0, element.scrollHeight));
      return summary.textContent();
    })
    .toBe("450 loaded");
  expect(await grid.locator("[data-job-id]").count()).toBeLessThan(60);

  // The last scroll may not have rendered yet: rows read before it would leave the DOM with it.
  await grid.locator('[aria-rowindex="451"]').waitFor();
  const rows = grid.locator("[data-job-id]");
  // Rows are recycled as the list scrolls, so pick them by id, not by position.
  const picked = [await rows.nth(-1).getAttribute("data-job-id"), await rows.nth(-2).getAttribute("data-job-id")];
  for (const id of picked) await grid.locator(`[data-job-id="${id}"]`).getByRole("checkbox").check();
  await page.getByRole("toolbar", { name: "Selection" }).getByRole("button", { name: "Cancel" }).click();
  const dialog = page.getByRole("dialog");
  expect(await dialog.getByRole("heading").textContent()).toBe("Cancel 2 pending jobs?");
  await dialog.getByRole("button", { name: "Cancel 2 jobs" }).click();
  await page.getByRole("status").filter({ hasText: "Cancelled 2" }).waitFor();
  for (const id of picked) {
    expect((await api.getJob({ id: id!, queue: "e2e.paging" })).job?.state).toBe(JobState.CANCELLED);
  }
  await expect.poll(() => summary.textContent()).toBe("448 loaded");
  await scroller.click({ position: { x: 400, y: 10 } });
  await page.keyboard.press("Control+a");
  expect(await summary.textContent()).toBe("448 selected");
});

test("an external queue reported by a node is shown read-only", async () => {
  await h.client(PulseService).beat({
    beat: {
      identity: { nodeId: "e2e-node-1", service: "shop", language: "php" },
      externalQueues: [{ name: "shop-mail", driver: "laravel", connection: "redis", pending: 12n, failed: 3n }],
    },
  });
  const page = await h.open("/queues");
  const row = page.locator('tr[data-queue="shop-mail"]');
  await row.waitFor();
  expect(await row.locator('td[data-count="pending"]').textContent()).toBe("12");
  expect(await row.locator('td[data-count="dead"]').textContent()).toBe("3");
  await row.getByText("laravel").waitFor();
  await row.getByText("read-only").waitFor();
  expect(await row.getByRole("button").count()).toBe(0);
  expect(await row.getByRole("link").count()).toBe(0);
});

test("no console errors or CSP violations on the way", () => {
  expect(h.problems).toEqual([]);
});
