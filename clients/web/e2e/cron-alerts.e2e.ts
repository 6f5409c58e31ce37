// The cron and alerts pages against a real server: schedules made, triggered and paused from the
// form and the table; alerts acknowledged, silences made and expired, channels made and tested.
import { afterAll, beforeAll, expect, test } from "vitest";

import { CronService, RunTrigger } from "../src/gen/zenith/v1/cron_pb";
import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start({ serverArgs: ["--alert-evaluation-interval", "1s"] }));
afterAll(() => h.stop());

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a schedule is created through the form with a live preview, and a bad expression blocks saving", async () => {
  const page = await h.open("/cron");
  await page.getByRole("button", { name: "New schedule" }).click();
  const dialog = page.getByRole("dialog", { name: "New schedule" });
  await dialog.getByLabel("Id", { exact: true }).fill("e2e-every-5");
  await dialog.getByLabel("Cron expression", { exact: true }).fill("*/5 * * * *");
  await dialog.getByLabel("Queue", { exact: true }).fill("e2e.cron");
  await dialog.getByLabel("Job type", { exact: true }).fill("tick");

  // The preview lists five fire times, each on a minute divisible by five.
  const preview = dialog.getByLabel("Next fire times");
  await expect.poll(() => preview.locator("li").count()).toBe(5);
  for (const text of await preview.locator("li .mono").allTextContents()) {
    expect(Number(text.slice(14, 16)) % 5).toBe(0);
  }

  // A bad expression shows the server's INVALID_ARGUMENT inline and disables saving.
  await dialog.getByLabel("Cron expression", { exact: true }).fill("30 25 * * *");
  await preview.getByRole("alert").filter({ hasText: "25 is out of range 0-23" }).waitFor();
  expect(await preview.getByRole("alert").textContent()).toContain("InvalidArgument");
  expect(await dialog.getByRole("button", { name: "Create" }).isDisabled()).toBe(true);

  // Invalid JSON is flagged as typed.
  await dialog.getByLabel("Payload (JSON, optional)", { exact: true }).fill('{"report": ');
  expect(await dialog.getByRole("button", { name: "Create" }).isDisabled()).toBe(true);
  await dialog.getByLabel("Payload (JSON, optional)", { exact: true }).fill('{"report": "<b>daily</b>"}');

  await dialog.getByLabel("Cron expression", { exact: true }).fill("*/5 * * * *");
  await expect.poll(() => preview.locator("li").count()).toBe(5);
  await dialog.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(/\/cron\/e2e-every-5$/);

  const stored = await h.client(CronService).getSchedule({ id: "e2e-every-5" });
  expect(stored.schedule?.spec?.cron).toBe("*/5 * * * *");
  expect(stored.schedule?.spec?.job?.queue).toBe("e2e.cron");
  expect(new TextDecoder().decode(stored.schedule?.spec?.job?.payload)).toBe('{"report": "<b>daily</b>"}');
  // The payload is shown as text, not markup.
  await page.getByText('{"report": "<b>daily</b>"}').waitFor();

  await h.open("/cron");
  const row = page.getByRole("row").filter({ hasText: "e2e-every-5" });
  await row.getByText("*/5 * * * *").waitFor();
  await row.getByText(/in \d/).waitFor();
  await h.screenshot("cron");
  expect(h.problems).toEqual([]);
});

test("triggering a schedule enqueues a job into its queue and the run appears in the history", async () => {
  const api = h.client(CronService);
  const page = await h.open("/cron/e2e-every-5");
  await page.getByRole("button", { name: "Trigger now" }).click();
  const link = page.getByRole("dialog", { name: "Schedule triggered" }).getByRole("link", { name: "Triggered job" });
  await link.waitFor();
  const jobId = (await link.textContent()) ?? "";
  expect(jobId).toMatch(/^cron:e2e-every-5:\d+$/);

  const job = await h.client(QueueService).getJob({ id: jobId, queue: "e2e.cron" });
  expect(job.job?.queue).toBe("e2e.cron");
  expect(job.job?.type).toBe("tick");

  const runs = await api.listScheduleRuns({ scheduleId: "e2e-every-5" });
  expect(runs.runs.some((run) => run.jobId === jobId && run.trigger === RunTrigger.MANUAL)).toBe(true);

  await page.getByRole("dialog", { name: "Schedule triggered" }).getByRole("button", { name: "Close" }).click();
  const history = page.getByRole("table", { name: "Run history" });
  const run = history.getByRole("row").filter({ hasText: jobId });
  await run.getByText("manual").waitFor();
  expect(await run.getByRole("link", { name: jobId }).getAttribute("href")).toBe(
    `/jobs/${encodeURIComponent(jobId)}?queue=e2e.cron`,
  );
  await h.screenshot("cron-schedule");
  expect(h.problems).toEqual([]);
});

test("a schedule is paused with a reason and resumed", async () => {
  const api = h.client(CronService);
  const page = await h.open("/cron");
  const row = page.getByRole("row").filter({ hasText: "e2e-every-5" });
  await row.getByRole("button", { name: "Pause" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause e2e-every-5" });
  await dialog.getByLabel("Reason (optional)", { exact: true }).fill("maintenance");
  await dialog.getByRole("button", { name: "Pause" }).click();
  await row.getByText("paused").waitFor();
  const paused = await api.getSchedule({ id: "e2e-every-5" });
  expect(paused.schedule?.paused).toBe(true);
  expect(paused.schedule?.pauseReason).toBe("maintenance");

  await row.getByRole("button", { name: "Resume" }).click();
  await row.getByRole("button", { name: "Pause" }).waitFor();
  expect((await api.getSchedule({ id: "e2e-every-5" })).schedule?.paused).toBe(false);
  expect(h.problems).toEqual([]);
});

test("a schedule is edited and deleted after confirming", async () => {
  const api = h.client(CronService);
  await api.createSchedule({
    spec: { id: "e2e-doomed", interval: { seconds: 3600n }, job: { queue: "e2e.cron", type: "tick" } },
  });
  const page = await h.open("/cron");
  const row = page.getByRole("row").filter({ hasText: "e2e-doomed" });
  await row.getByText("every 1h").waitFor();
  await row.getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit schedule e2e-doomed" });
  await dialog.getByLabel("Interval (e.g. 90s, 1h)", { exact: true }).fill("2h");
  await expect.poll(() => dialog.getByLabel("Next fire times").locator("li").count()).toBe(5);
  await dialog.getByRole("button", { name: "Save" }).click();
  await row.getByText("every 2h").waitFor();
  expect(Number((await api.getSchedule({ id: "e2e-doomed" })).schedule?.spec?.interval?.seconds)).toBe(7200);

  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete schedule e2e-doomed?" }).getByRole("button", { name: "Delete" }).click();
  await row.waitFor({ state: "detached" });
  await expect(api.getSchedule({ id: "e2e-doomed" })).rejects.toThrow(/not.?found/i);
  expect(h.problems).toEqual([]);
});
