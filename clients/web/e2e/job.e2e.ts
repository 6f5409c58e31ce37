// The job page: payloads shown as text whatever they hold, copy-as commands that work, a dead
// job's error with retry, the job's logs and timeline, and a clear answer for unknown ids.
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, expect, test } from "vitest";

import { JobState } from "../src/gen/zenith/v1/job_pb";
import { LogLevel, LogService } from "../src/gen/zenith/v1/logs_pb";
import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { WorkerService } from "../src/gen/zenith/v1/worker_pb";
import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const XSS_PAYLOAD = JSON.stringify({
  note: "<script>window.__pwned=1</script>",
  img: '<img src=x onerror="window.__pwned=2">',
});

async function enqueue(queue: string, type: string, payload: string, maxAttempts = 0): Promise<string> {
  const response = await h.client(QueueService).enqueue({
    job: {
      queue,
      type,
      payload: new TextEncoder().encode(payload),
      contentType: "application/json",
      maxAttempts,
      headers: { "x-request-id": "req-42" },
      tags: ["e2e"],
    },
  });
  return response.job?.id ?? "";
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A job that died on its only attempt, with an error, a stack trace and one archived log line.
async function deadJob(): Promise<string> {
  const queue = "e2e.dead";
  const id = await enqueue(queue, "charge_card", '{"order":"o-1001","amount":42.5}', 1);
  const worker = h.client(WorkerService);
  const reserved = await worker.reserve({ queues: [queue], maxJobs: 1, wait: durationFromMs(5000) });
  const lease = reserved.jobs.find((job) => job.job?.id === id);
  expect(lease).toBeDefined();
  const failed = await worker.fail({
    queue,
    jobId: id,
    leaseToken: lease?.leaseToken ?? "",
    error: "card declined by issuer",
    stackTrace: "charge_card failed\n  at billing::charge (src/billing.rs:42)\n  at worker::run (src/worker.rs:7)",
  });
  expect(failed.state).toBe(JobState.DEAD);
  const logs = h.client(LogService);
  await logs.writeLogs({
    records: [
      { level: LogLevel.WARN, message: "issuer answered 402 for order o-1001", service: "billing", queue, jobId: id },
    ],
  });
  await eventually("the job's log line in the archive", async () => {
    const found = await h.client(QueueService).getJob({ id, queue, includeLogs: true });
    return found.logs.length > 0 ? true : undefined;
  });
  return id;
}

test("a payload with markup renders as text on the job page and in search results", async () => {
  const id = await enqueue("e2e.xss", "xss_probe", XSS_PAYLOAD);
  const page = await h.open(`/jobs/${id}?queue=e2e.xss`);
  const payload = page.getByTestId("json-view");
  await payload.getByText('"<script>window.__pwned=1</script>"').waitFor();
  expect(await payload.textContent()).toContain('<img src=x onerror=\\"window.__pwned=2\\">');
  expect(await payload.locator("script, img").count()).toBe(0);
  expect(await page.getByRole("region", { name: "Job details" }).getByText("pending").count()).toBe(1);

  await h.open(`/search?q=pwned&queue=e2e.xss`);
  const preview = page.getByTestId("payload-preview").first();
  await preview.waitFor();
  expect(await preview.textContent()).toBe(XSS_PAYLOAD);
  expect(await page.getByRole("region", { name: "Results" }).locator("script, img").count()).toBe(0);
  await page.getByRole("link", { name: id }).click();
  await page.waitForURL(new RegExp(`/jobs/${id}\\?queue=e2e\\.xss$`));
  await payload.waitFor();

  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(h.problems).toEqual([]);
});

test("copy as grpcurl gives a GetJob request that finds the job, and copy as CLI names this server", async () => {
  const id = await enqueue("e2e.copy", "copy_probe", '{"n":1}');
  const page = await h.open(`/jobs/${id}?queue=e2e.copy`);
  await page.getByRole("region", { name: "Payload" }).waitFor();

  await page.getByRole("button", { name: "Copy as grpcurl" }).click();
  await page.getByRole("button", { name: "Copied" }).waitFor();
  const grpcurl = await page.evaluate(() => navigator.clipboard.readText());
  const host = new URL(h.url).host;
  expect(grpcurl).toBe(
    `grpcurl -plaintext -d '{"id":"${id}","queue":"e2e.copy"}' ${host} zenith.v1.QueueService/GetJob`,
  );
  const request = /-d '([^']+)'/.exec(grpcurl)?.[1] ?? "";
  const found = await h.client(QueueService).getJob(JSON.parse(request) as { id: string; queue: string });
  expect(found.job?.id).toBe(id);
  expect(found.job?.type).toBe("copy_probe");

  await page.getByRole("button", { name: "Copy as CLI" }).click();
  const cli = await eventually("the CLI command on the clipboard", async () => {
    const text = await page.evaluate(() => navigator.clipboard.readText());
    return text.startsWith("zenith ") ? text : undefined;
  });
  expect(cli).toBe(`zenith jobs get ${id} --server ${h.url}`);
  expect(h.problems).toEqual([]);
});

test("a dead job shows its error, stack trace, timeline and logs, and retry makes it pending", async () => {
  const id = await deadJob();
  const page = await h.open(`/jobs/${id}`);
  await page.getByTestId("job-error").getByText("card declined by issuer").waitFor();
  expect(await page.getByTestId("job-stack-trace").textContent()).toContain("at billing::charge (src/billing.rs:42)");
  const details = page.getByRole("region", { name: "Job details" });
  await details.getByText("dead", { exact: true }).waitFor();
  expect(await details.getByText("1 of 1").count()).toBe(1);
  expect(await page.getByRole("region", { name: "Headers" }).getByText("req-42").count()).toBe(1);

  // The archive records the failure within moments; the page asks again until it has it.
  const timeline = page.getByRole("table", { name: "Timeline" });
  await timeline.getByText("failed", { exact: true }).waitFor();
  expect(await timeline.getByText("enqueued", { exact: true }).count()).toBe(1);
  expect(await timeline.getByText("card declined by issuer").count()).toBe(1);

  await page.getByRole("tab", { name: /^Logs \(1\)/ }).click();
  const logs = page.getByLabel("Job logs");
  await logs.getByText("issuer answered 402 for order o-1001").waitFor();
  expect(await logs.getByText("warn").count()).toBe(1);
  await page.getByRole("tab", { name: "Timeline" }).click();
  await timeline.waitFor();
  await h.screenshot("job");

  expect(await page.getByRole("button", { name: "Promote" }).count()).toBe(0);
  await page.getByRole("button", { name: "Retry" }).click();
  await page.getByText("Retried: the job is pending again.").waitFor();
  const after = await h.client(QueueService).getJob({ id });
  expect(after.job?.state).toBe(JobState.PENDING);
  expect(after.job?.attempts).toBe(0);
  await details.getByText("pending", { exact: true }).waitFor();
  expect(h.problems).toEqual([]);
});

test("delete asks first, then the job leaves its queue", async () => {
  const id = await enqueue("e2e.delete", "delete_probe", '{"n":2}');
  const page = await h.open(`/jobs/${id}?queue=e2e.delete`);
  await page.getByRole("button", { name: "Delete…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete 1 job?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect((await h.client(QueueService).getJob({ id })).job?.state).toBe(JobState.PENDING);

  await page.getByRole("button", { name: "Delete…" }).click();
  await dialog.getByRole("button", { name: "Delete", exact: true }).click();
  const gone = await eventually("the deleted job", async () => {
    const found = await h.client(QueueService).getJob({ id }).catch(() => undefined);
    return found === undefined || found.job?.state === JobState.DELETED ? true : undefined;
  });
  expect(gone).toBe(true);
  // "Deleted." shows until the page reloads the job, which then reads as deleted or unknown.
  await page.getByText(/^Deleted\.$|^deleted$|No job with id/).first().waitFor();
  expect(h.problems).toEqual([]);
});

test("cancel asks for a reason and cancels a pending job", async () => {
  const id = await enqueue("e2e.cancel", "cancel_probe", '{"n":3}');
  const page = await h.open(`/jobs/${id}?queue=e2e.cancel`);
  await page.getByRole("button", { name: "Cancel…" }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel 1 job?" });
  await dialog.getByRole("textbox", { name: /Reason/ }).fill("customer closed the account");
  await dialog.getByRole("button", { name: "Cancel job" }).click();
  await page.getByText("Cancelled.", { exact: true }).waitFor();
  const after = await h.client(QueueService).getJob({ id });
  expect(after.job?.state).toBe(JobState.CANCELLED);
  expect(after.job?.cancelReason).toBe("customer closed the account");
  await page.getByRole("region", { name: "Cancel reason" }).getByText("customer closed the account").waitFor();
  expect(h.problems).toEqual([]);
});

test("an unknown job id says so, after asking Redis and the archive", async () => {
  const page = await h.open("/jobs/no-such-job-4242");
  const notFound = page.getByRole("alert", { name: "Job not found" });
  await notFound.getByText("No job with id “no-such-job-4242”").waitFor();
  expect(await notFound.getByRole("link", { name: /Search all jobs/ }).getAttribute("href")).toBe(
    `/search?q=${encodeURIComponent('"no-such-job-4242"')}`,
  );
  expect(h.problems).toEqual([]);
});
