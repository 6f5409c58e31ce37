// The overview (totals, charts, firing alerts, workers, busiest queues) and the workers page
// (nodes by service, live health, external queues, quiet) against a real server with the demo.
import { afterAll, beforeAll, expect, test } from "vitest";

import { AlertService, Severity } from "../src/gen/zenith/v1/alert_pb";
import { JobState } from "../src/gen/zenith/v1/job_pb";
import { PulseService } from "../src/gen/zenith/v1/pulse_pb";
import { type QueueCounts, QueueService } from "../src/gen/zenith/v1/queue_pb";
import type { Page } from "playwright-core";

import { Harness } from "./harness";

const h = new Harness();
// A queue no worker takes from, so its counts stay exactly what the test made them.
const QUEUE = "e2e.backlog";
const BACKLOG = 40;
const GIB = 1024n ** 3n;

let steadyBeats: ReturnType<typeof setInterval> | undefined;

function beat(nodeId: string, service: string, language: string, extra: { cpu: number; jobId?: string }) {
  return h.client(PulseService).beat({
    beat: {
      identity: {
        nodeId,
        service,
        language,
        version: language === "python" ? "v1.2.3" : "v0.9.0",
        runtime: language === "python" ? "CPython 3.12.1" : "go1.26.8",
        pid: 4242n,
        hostname: `${service}-host`,
      },
      // The shortest interval the protocol allows: late after 2 s without a beat, lost after 3 s.
      interval: { seconds: 1n },
      uptime: { seconds: 7200n },
      process: { cpuPercent: extra.cpu, memoryRssBytes: 256n * 1024n * 1024n, threads: 8 },
      system: {
        cpuPercent: 30,
        cpuCores: 4,
        memoryTotalBytes: 16n * GIB,
        memoryUsedBytes: 6n * GIB,
        diskTotalBytes: 100n * GIB,
        diskUsedBytes: 42n * GIB,
      },
      jobs: extra.jobId ? [{ queue: QUEUE, jobId: extra.jobId }] : [],
      externalQueues:
        language === "python"
          ? [{ name: "notifications", driver: "laravel", connection: "redis", pending: 12n, failed: 1n, active: 2n }]
          : [],
      queues: [QUEUE],
    },
  });
}

beforeAll(async () => {
  await h.start({ serverArgs: ["--alert-evaluation-interval", "1s"] });
  await h.client(QueueService).batchEnqueue({
    jobs: Array.from({ length: BACKLOG }, (_, i) => ({
      queue: QUEUE,
      type: "e2e.noop",
      payload: new TextEncoder().encode(JSON.stringify({ n: i })),
      contentType: "application/json",
    })),
  });
  // A node of another service that beats all along.
  await beat("reports-1:77:go", "e2e-reports", "go", { cpu: 35 });
  steadyBeats = setInterval(() => void beat("reports-1:77:go", "e2e-reports", "go", { cpu: 35 }), 500);
});

afterAll(async () => {
  clearInterval(steadyBeats);
  await h.stop();
});

function numberIn(text: string | null): number {
  return Number((text ?? "").replaceAll(",", ""));
}

// Where each matching element sits on the page, to show that streaming data moves nothing.
function boxes(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate(
    (list) =>
      list.map((selector) => {
        const element = document.querySelector(selector);
        if (!element) return `${selector}: missing`;
        const r = element.getBoundingClientRect();
        return `${selector}: ${r.x},${r.y} ${r.width}x${r.height}`;
      }),
    selectors,
  );
}

const OVERVIEW_BLOCKS = [
  '[aria-label="Totals"]',
  '[data-testid="charts"]',
  'section[aria-label="Busiest queues"]',
  'section[aria-label="Firing alerts"]',
  'section[aria-label="Workers"]',
];

const STATES = ["pending", "scheduled", "active", "retry", "dead", "completed", "cancelled"] as const;

test("the overview's totals match what WatchQueues says, and the busiest queues link to their page", async () => {
  // Every totals message of the API over the test, to bound the demo's drift.
  const seen: { at: number; totals: QueueCounts; changesPerSecond: number }[] = [];
  const watching = new AbortController();
  const reading = (async () => {
    for await (const message of h.client(QueueService).watchQueues({}, { signal: watching.signal })) {
      const rates = message.totalRates;
      const changesPerSecond = rates ? rates.enqueued + rates.completed + rates.failed : 0;
      if (message.totals) seen.push({ at: Date.now(), totals: message.totals, changesPerSecond });
    }
  })().catch(() => undefined);

  const page = await h.open("/");
  const row = page.locator(`tr[data-queue="${QUEUE}"]`);
  await expect.poll(() => row.getByTestId("pending").textContent(), { timeout: 10_000 }).toBe(String(BACKLOG));
  await expect.poll(() => page.getByTestId("rate-completed").locator(".value").textContent()).toMatch(/\/s$/);

  const readAt = Date.now();
  const shown: Record<string, number> = {};
  for (const state of STATES) {
    shown[state] = numberIn(await page.getByTestId(`total-${state}`).locator(".value").textContent());
  }
  await new Promise((r) => setTimeout(r, 1500));
  watching.abort();
  await reading;

  // Each count lies within what the API reported in the seconds around the read. The page's
  // stream and the test's sample the server at different instants of each second, so a count
  // may differ by the demo's job moves in one second.
  const window = seen.filter((s) => s.at >= readAt - 3000 && s.at <= readAt + 1500);
  expect(window.length).toBeGreaterThan(1);
  const drift = Math.ceil(Math.max(...window.map((s) => s.changesPerSecond))) + 1;
  for (const state of STATES) {
    const values = window.map((s) => Number(s.totals[state]));
    expect(shown[state], state).toBeGreaterThanOrEqual(Math.min(...values) - drift);
    expect(shown[state], state).toBeLessThanOrEqual(Math.max(...values) + drift);
  }
  expect(shown.pending).toBeGreaterThanOrEqual(BACKLOG);

  await row.getByRole("link", { name: QUEUE }).click();
  await page.waitForURL((url) => url.pathname === `/queues/${QUEUE}`);
  expect(h.problems).toEqual([]);
});

test("the overview keeps its layout from placeholders to streaming data", async () => {
  const page = await h.newPage();
  // Hold every API answer back a while, so the page is seen with its placeholders first.
  await page.route("**/zenith.v1.*/**", async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await h.open("/", page);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  const placeholders = await boxes(page, OVERVIEW_BLOCKS);
  expect(await page.getByTestId("total-pending").locator(".value").textContent()).toBe("—");

  await page.locator(`tr[data-queue="${QUEUE}"]`).waitFor({ timeout: 10_000 });
  await page.getByTestId("nodes-healthy").locator(".value").filter({ hasText: /\d/ }).waitFor();
  expect(await boxes(page, OVERVIEW_BLOCKS)).toEqual(placeholders);
  await new Promise((r) => setTimeout(r, 3000));
  expect(await boxes(page, OVERVIEW_BLOCKS)).toEqual(placeholders);
  await page.close();
  expect(h.problems).toEqual([]);
});

test("the charts render and the range selector changes the range", async () => {
  const page = await h.open("/");
  const charts = page.getByTestId("charts");
  await expect.poll(() => charts.locator("canvas").count()).toBe(2);
  const span = () => charts.getAttribute("data-span-seconds").then(Number);
  const step = () => charts.getAttribute("data-step-seconds").then(Number);

  // The default hour, one point a minute.
  await expect.poll(span).toBe(3600);
  expect(await step()).toBe(60);

  for (const [label, seconds] of [["48 h", 48 * 3600], ["15 min", 15 * 60]] as const) {
    await page.getByRole("tab", { name: label }).click();
    expect(await page.getByRole("tab", { name: label }).getAttribute("aria-selected")).toBe("true");
    const expected = await h.client(QueueService).getQueueMetrics({ range: { seconds: BigInt(seconds) } });
    const expectedStep = Number(expected.step?.seconds ?? 0n);
    await expect.poll(span).toBe(seconds);
    expect(await step()).toBe(expectedStep);
    expect(seconds / expectedStep).toBe(expected.points.length);
  }
  expect(await charts.getByText("one point per 1m").count()).toBe(1);

  // The charts are drawn again in the other theme's colours.
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
  await expect.poll(() => charts.locator("canvas").count()).toBe(2);
  await page.getByRole("button", { name: "Toggle theme" }).click();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
  expect(h.problems).toEqual([]);
});

test("a firing alert and the worker summary show on the overview", async () => {
  await h.client(AlertService).createRule({
    spec: {
      id: "e2e-backlog",
      description: "The e2e backlog is too long",
      severity: Severity.CRITICAL,
      queue: QUEUE,
      condition: { case: "backlog", value: { above: 10n } },
    },
  });
  const page = await h.open("/");
  const panel = page.getByRole("region", { name: "Firing alerts" });
  const alertLink = panel.getByRole("link", { name: new RegExp(QUEUE.replace(".", "\\.")) });
  await alertLink.waitFor({ timeout: 15_000 });
  expect(await panel.getByText("critical").count()).toBeGreaterThan(0);
  expect(await alertLink.getAttribute("href")).toBe("/alerts");

  // One node of the e2e-reports service beats, so at least one is healthy.
  const nodes = await h.client(PulseService).listNodes({});
  const healthy = nodes.services.reduce((sum, s) => sum + s.healthy, 0);
  await expect
    .poll(() => page.getByTestId("nodes-healthy").locator(".value").textContent(), { timeout: 10_000 })
    .toBe(String(healthy));
  await expect.poll(() => page.getByRole("list", { name: "Nodes by language" }).textContent()).toContain("go");
  expect(await page.getByRole("link", { name: "All workers" }).getAttribute("href")).toBe("/workers");
  await h.screenshot("overview");

  await panel.getByRole("link", { name: "All alerts" }).click();
  await page.waitForURL((url) => url.pathname === "/alerts");
  expect(h.problems).toEqual([]);
});

test("the workers page shows a node by service with its resources and external queue, then sees it go late and lost live", async () => {
  const job = await h.client(QueueService).listJobs({ queue: QUEUE, state: JobState.PENDING, pageSize: 1 });
  const jobId = job.jobs[0]?.id ?? "";
  expect(jobId).not.toBe("");
  const cpus = [12.5, 18, 25.5, 15];
  let beats = 0;
  const beatOnce = () => beat("billing-1:4242:py", "e2e-billing", "python", { cpu: cpus[beats++ % cpus.length], jobId });
  await beatOnce();
  const billingBeats = setInterval(() => void beatOnce(), 500);

  try {
    const page = await h.open("/workers");
    const service = page.locator('section[data-service="e2e-billing"]');
    const row = service.locator('tr[data-node="billing-1:4242:py"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await service.getByRole("heading", { name: "e2e-billing" }).count()).toBe(1);
    expect(await row.getByTestId("language").textContent()).toBe("python");
    expect(await row.getByTestId("health").textContent()).toBe("healthy");
    expect(cpus.map((c) => `${c.toFixed(1)}%`)).toContain(await row.getByTestId("cpu").locator(".resource-value").textContent());
    expect(await row.getByTestId("disk").locator(".resource-value").textContent()).toBe("42%");
    expect(await row.getByRole("link", { name: jobId }).getAttribute("href")).toBe(
      `/jobs/${jobId}?queue=${encodeURIComponent(QUEUE)}`,
    );
    // The other service is its own group.
    await page.locator('section[data-service="e2e-reports"] tr[data-node="reports-1:77:go"]').waitFor();

    const external = page.locator('tr[data-external="notifications"]');
    await external.waitFor({ timeout: 10_000 });
    expect(await external.getByTestId("driver").textContent()).toBe("laravel");
    expect(await external.getByTestId("pending").textContent()).toBe("12");
    expect(await external.getByTestId("failed").textContent()).toBe("1");
    expect(await external.getByTestId("reported-by").textContent()).toBe("billing-1:4242:py");

    // Filters: only go nodes, then every node again.
    await page.getByRole("combobox", { name: "Language" }).selectOption("go");
    await expect.poll(() => row.count()).toBe(0);
    expect(await page.locator('tr[data-node="reports-1:77:go"]').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get("language")).toBe("go");
    await page.getByRole("combobox", { name: "Language" }).selectOption("");
    await row.waitFor();

    // A few beats draw the sparklines.
    await expect.poll(() => row.getByTestId("cpu").locator("polyline").count(), { timeout: 10_000 }).toBe(1);
    await h.screenshot("workers");

    // The node stops beating: the badge turns late, then lost, in the same page load, and its
    // row stays where it was.
    const rowBox = await boxes(page, ['tr[data-node="billing-1:4242:py"]']);
    await page.evaluate(() => Object.assign(window, { e2eSamePage: true }));
    clearInterval(billingBeats);
    const health = () => row.getByTestId("health").textContent();
    await expect.poll(health, { timeout: 6000, interval: 100 }).toBe("late");
    await expect.poll(health, { timeout: 6000, interval: 100 }).toBe("lost");
    expect(await row.getByTestId("last-beat").textContent()).toMatch(/^lost /);
    expect(await page.evaluate(() => "e2eSamePage" in window)).toBe(true);
    expect(await boxes(page, ['tr[data-node="billing-1:4242:py"]'])).toEqual(rowBox);
    await expect.poll(() => service.locator(".service-counts").textContent()).toContain("1 lost");

    // Only lost nodes: the billing node stays, the beating reports node goes.
    await page.getByRole("combobox", { name: "Health" }).selectOption("lost");
    await expect.poll(() => page.locator('tr[data-node="reports-1:77:go"]').count()).toBe(0);
    expect(await row.count()).toBe(1);
    await page.getByRole("combobox", { name: "Health" }).selectOption("");
    expect(h.problems).toEqual([]);
  } finally {
    clearInterval(billingBeats);
  }
});

test("quieting a node asks it to take no new work", async () => {
  const page = await h.open("/workers");
  const row = page.locator('tr[data-node="reports-1:77:go"]');
  await row.getByRole("button", { name: "Quiet", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Quiet node reports-1:77:go?" });
  await dialog.getByRole("button", { name: "Quiet node" }).click();
  await row.getByText("quieting").waitFor();
  // Read again until it holds: right after QuietNode, a GetNode racing a beat may still answer
  // the old flag for a moment.
  const quietRequested = async () =>
    (await h.client(PulseService).getNode({ nodeId: "reports-1:77:go" })).node?.quietRequested;
  await expect.poll(quietRequested, { timeout: 3000 }).toBe(true);

  await row.getByRole("button", { name: "Resume" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Resume node" }).click();
  await row.getByRole("button", { name: "Quiet", exact: true }).waitFor();
  await expect.poll(() => page.getByRole("dialog").count()).toBe(0);
  await expect.poll(quietRequested, { timeout: 3000 }).toBe(false);
  expect(h.problems).toEqual([]);
});
