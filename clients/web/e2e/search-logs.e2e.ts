// Search, logs and settings: hybrid job search from the URL with filters and query errors,
// the live log tail (new lines, level filter, pause, markup as text), log search, and the
// settings of an open server (who you are, the server, no key sent) and retention.
import { afterAll, beforeAll, expect, test } from "vitest";

import { ArchiveService } from "../src/gen/zenith/v1/archive_pb";
import { LogLevel, LogService } from "../src/gen/zenith/v1/logs_pb";
import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

async function enqueue(queue: string, type: string, payload: object): Promise<string> {
  const response = await h.client(QueueService).enqueue({
    job: { queue, type, payload: new TextEncoder().encode(JSON.stringify(payload)), contentType: "application/json" },
  });
  return response.job?.id ?? "";
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function writeLog(message: string, level: LogLevel, extra: { service?: string; jobId?: string } = {}) {
  await h.client(LogService).writeLogs({
    records: [{ level, message, service: extra.service ?? "e2e-worker", nodeId: "e2e-1", jobId: extra.jobId ?? "" }],
  });
}

test("search finds a job by a payload word and by a filter term, with the query in the URL", async () => {
  const id = await enqueue("e2e.search", "ship_parcel", { customer: "zebrafinch-4821", total: 12 });
  const other = await enqueue("e2e.search", "refund", { customer: "zebrafinch-4821", total: 3 });
  const page = await h.open("/search");
  const results = page.getByRole("region", { name: "Results" });

  await page.getByRole("textbox", { name: "Query" }).fill("zebrafinch");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/\/search\?q=zebrafinch$/);
  await results.getByRole("link", { name: id }).waitFor();
  expect(await results.getByRole("link", { name: other }).count()).toBe(1);

  await page.getByRole("textbox", { name: "Query" }).fill('type = "ship_parcel"');
  await page.getByRole("textbox", { name: "Queues" }).fill("e2e.search");
  await page.getByRole("checkbox", { name: "pending" }).check();
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/queue=e2e\.search&state=pending$/);
  await results.getByRole("link", { name: id }).waitFor();
  expect(await results.getByRole("link", { name: other }).count()).toBe(0);

  // The URL alone reproduces the search, and its links open the job in its queue.
  await h.open(`/search?q=${encodeURIComponent('payload.total = 3')}&queue=e2e.search`);
  await results.getByRole("link", { name: other }).click();
  await page.waitForURL(new RegExp(`/jobs/${other}\\?queue=e2e\\.search$`));
  expect(h.problems).toEqual([]);
});

test("a query the server cannot parse shows its INVALID_ARGUMENT message", async () => {
  const page = await h.open(`/search?q=${encodeURIComponent("state = dead")}`);
  const error = page.getByRole("alert");
  await error.waitFor();
  const text = await error.textContent();
  expect(text).toContain("InvalidArgument");
  expect(text).toContain("query: at position 8");
  expect(text).toContain('strings are double-quoted, as in "dead"');
  expect(h.problems).toEqual([]);
});

test("search pages through more hits than fit on one page", async () => {
  // 60 jobs with one word in common: a page holds 50.
  const jobs = Array.from({ length: 60 }, (_, n) => ({
    queue: "e2e.paging",
    type: "page_probe",
    payload: new TextEncoder().encode(JSON.stringify({ marker: "pagingprobe", n })),
    contentType: "application/json",
  }));
  await h.client(QueueService).batchEnqueue({ jobs });
  // Jobs become searchable once the archiver has indexed them, a moment after enqueue.
  const archive = h.client(ArchiveService);
  await eventually(async () => (await archive.searchJobs({ query: "pagingprobe", pageSize: 100 })).hits.length === 60);
  const page = await h.open("/search?q=pagingprobe");
  const results = page.getByRole("region", { name: "Results" });
  await page.getByText("Page 1: 50 jobs", { exact: false }).waitFor();
  expect(await results.getByRole("link").count()).toBe(50);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2: 10 jobs", { exact: false }).waitFor();
  expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
  await page.getByRole("button", { name: "Previous" }).click();
  await page.getByText("Page 1: 50 jobs", { exact: false }).waitFor();

  await h.open("/search?q=email");
  await results.getByRole("link").first().waitFor();
  await h.screenshot("search");
  expect(h.problems).toEqual([]);
});

test("the live tail shows new lines as text, filters by level and pauses", async () => {
  const page = await h.open("/logs");
  const lines = page.getByLabel("Live log lines");
  await page.getByTestId("tail-status").getByText("Following live").waitFor();

  const tag = Date.now().toString(36);
  await writeLog(`checkout ${tag} <b>bold</b> total`, LogLevel.INFO);
  const markup = lines.getByText(`checkout ${tag} <b>bold</b> total`);
  await markup.waitFor();
  expect(await lines.locator("b").count()).toBe(0);
  await writeLog(`smtp ${tag} connection refused, will retry`, LogLevel.WARN, { service: "mailer" });
  await writeLog(`charge ${tag} failed: card declined`, LogLevel.ERROR, { service: "billing", jobId: "order-1234" });
  await lines.getByText(`charge ${tag} failed: card declined`).waitFor();
  await h.screenshot("logs");

  await page.getByRole("combobox", { name: "Level" }).selectOption({ label: "error and above" });
  await page.waitForURL(/\/logs\?level=error$/);
  await writeLog(`info ${tag} after filter`, LogLevel.INFO);
  await writeLog(`error ${tag} after filter`, LogLevel.ERROR);
  await lines.getByText(`error ${tag} after filter`).waitFor();
  expect(await lines.getByText(`info ${tag} after filter`).count()).toBe(0);
  // The new stream replays recent error lines only.
  expect(await lines.getByText(`checkout ${tag}`).count()).toBe(0);
  expect(await lines.getByText(`charge ${tag} failed: card declined`).count()).toBe(1);

  await page.getByRole("button", { name: "Pause" }).click();
  await writeLog(`held ${tag} while paused`, LogLevel.ERROR);
  await page.getByText("Paused: 1 new lines held").waitFor();
  expect(await lines.getByText(`held ${tag} while paused`).count()).toBe(0);
  await page.getByRole("button", { name: "Resume" }).click();
  await lines.getByText(`held ${tag} while paused`).waitFor();
  expect(h.problems).toEqual([]);
});

test("the tail follows the newest line until the user scrolls up", async () => {
  const tag = `scroll${Date.now().toString(36)}`;
  const page = await h.open(`/logs?text=${tag}`);
  const box = page.getByLabel("Live log lines");
  await page.getByTestId("tail-status").getByText("Following live").waitFor();
  await h.client(LogService).writeLogs({
    records: Array.from({ length: 80 }, (_, n) => ({ message: `${tag} line ${n}`, service: "e2e-worker" })),
  });
  await box.getByText(`${tag} line 79`).waitFor();
  const distanceFromBottom = () => box.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  expect(await distanceFromBottom()).toBeLessThan(24);

  await box.evaluate((el) => el.scrollTo({ top: 0 }));
  await page.getByText("Scrolled up: auto-scroll stopped").waitFor();
  await writeLog(`${tag} arrives while scrolled up`, LogLevel.INFO);
  await box.getByText(`${tag} arrives while scrolled up`).waitFor({ state: "attached" });
  expect(await box.evaluate((el) => el.scrollTop)).toBe(0);

  await page.getByRole("button", { name: "Jump to latest" }).click();
  await page.getByText("Following live").waitFor();
  expect(await distanceFromBottom()).toBeLessThan(24);
  expect(h.problems).toEqual([]);
});

test("log search finds archived lines by words and job id", async () => {
  const tag = `zq${Date.now().toString(36)}`;
  await writeLog(`refund ${tag} issued to customer`, LogLevel.INFO, { jobId: "job-search-1" });
  await writeLog(`refund ${tag} pending review`, LogLevel.INFO, { jobId: "job-search-2" });
  const page = await h.open(`/logs?mode=search&text=${tag}&job=job-search-1`);
  const found = page.getByLabel("Found log lines");
  for (let attempt = 0; attempt < 20 && (await found.getByText(`refund ${tag} issued`).count()) === 0; attempt++) {
    // Lines reach SQL within about a second.
    await page.waitForTimeout(300);
    await page.getByRole("button", { name: "Search", exact: true }).click();
  }
  await found.getByText(`refund ${tag} issued to customer`).waitFor();
  expect(await found.getByText(`refund ${tag} pending review`).count()).toBe(0);
  expect(await found.getByRole("link", { name: "job-search-1" }).getAttribute("href")).toBe("/jobs/job-search-1");
  expect(h.problems).toEqual([]);
});

test("settings on an open server: the shell and settings warn that anyone is admin, and no key is sent", async () => {
  const page = await h.open("/settings");
  const sent: (string | undefined)[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/zenith.v1.")) sent.push(request.headers().authorization);
  });
  await page.getByTestId("identity").getByText("open mode").waitFor();
  await page.getByTestId("open-mode").getByText("every caller on loopback is admin").waitFor();
  await page.getByTestId("server-access").getByText("open mode").waitFor();
  expect(await page.getByTestId("server-url").textContent()).toBe(h.url);
  expect(await page.getByTestId("server-version").textContent()).toMatch(/^zenith \d+\.\d+/);
  await page.getByRole("region", { name: "API keys" }).getByText("No API keys yet: the server runs open.").waitFor();
  // Nothing to sign out of: no key is kept in this browser.
  expect(await page.getByTestId("identity").getByRole("button", { name: "Sign out" }).count()).toBe(0);
  expect(await page.getByRole("region", { name: "Signed in" }).getByRole("button", { name: "Sign out" }).isDisabled()).toBe(true);
  await page.reload();
  await page.getByTestId("identity").getByText("open mode").waitFor();
  await eventually(async () => sent.length > 0);
  expect(new Set(sent)).toEqual(new Set([undefined]));
  expect(await page.evaluate(() => localStorage.getItem("zenith.apiKey"))).toBeNull();
  expect(h.problems).toEqual([]);
});

test("retention per queue is saved, refused with the server's reason when out of range, and reset", async () => {
  const page = await h.open("/settings");
  const panel = page.getByRole("region", { name: "Retention" });
  await panel.getByText("defaults (every other queue)").waitFor();

  await panel.getByRole("textbox", { name: "Queue" }).fill("e2e.retention");
  await panel.getByRole("textbox", { name: "Retention" }).fill("soon");
  expect(await panel.getByText("Write a whole number with a unit").count()).toBe(1);
  await panel.getByRole("textbox", { name: "Retention" }).fill("30m");
  await panel.getByRole("button", { name: "Save override" }).click();
  await panel.getByRole("alert").getByText(/InvalidArgument/).waitFor();

  await panel.getByRole("textbox", { name: "Retention" }).fill("7d");
  await panel.getByRole("combobox", { name: "Index on enqueue" }).selectOption("off");
  await panel.getByRole("button", { name: "Save override" }).click();
  const row = panel.getByRole("row", { name: /e2e\.retention/ });
  await row.getByText("7d").waitFor();
  expect(await row.getByText("off").count()).toBe(1);
  await page.getByRole("region", { name: "Archive status" }).getByText("sqlite").waitFor();
  await h.screenshot("settings");

  await row.getByRole("button", { name: "Reset" }).click();
  await row.waitFor({ state: "detached" });
  expect(h.problems).toEqual([]);
});
