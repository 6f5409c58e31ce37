// The cron and alerts pages against a real server: schedules made, triggered and paused from the
// form and the table; alerts acknowledged, silences made and expired, channels made and tested.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, expect, test } from "vitest";

import { AlertService, AlertState } from "../src/gen/zenith/v1/alert_pb";
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
  await h.screenshot("cron-form");

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
  // A manual run gets its own id next to the fire-time ones.
  expect(jobId).toMatch(/^cron:e2e-every-5:/);

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
  await row.getByText("paused", { exact: true }).waitFor();
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

test("a firing alert is acknowledged with a comment from the page", async () => {
  const api = h.client(AlertService);
  // A job nobody works on keeps the backlog of this queue above 0.
  await h.client(QueueService).enqueue({ job: { queue: "e2e.alerting", type: "stuck" } });
  await api.createRule({
    spec: {
      id: "e2e-backlog",
      severity: 3,
      queue: "e2e.alerting",
      pendingFor: { seconds: 0n },
      condition: { case: "backlog", value: { above: 0n } },
    },
  });
  const alert = await eventually("the backlog alert to fire", async () => {
    const open = await api.listAlerts({ ruleId: "e2e-backlog" });
    return open.alerts.find((a) => a.state === AlertState.FIRING);
  });

  const page = await h.open("/alerts");
  const row = page.locator(`tr[data-alert="${alert.id}"]`);
  await row.getByText("queue:e2e.alerting").waitFor();
  await row.getByText("firing", { exact: true }).waitFor();
  await row.getByText("critical", { exact: true }).waitFor();
  await h.screenshot("alerts");

  await row.getByRole("button", { name: "Ack" }).click();
  const dialog = page.getByRole("dialog", { name: "Acknowledge alert" });
  await dialog.getByLabel("Comment (optional)").fill("scaling workers");
  await dialog.getByRole("button", { name: "Acknowledge" }).click();
  await row.getByText("acked", { exact: true }).waitFor();
  await row.getByRole("button", { name: "Ack" }).waitFor({ state: "detached" });

  const acked = await api.getAlert({ id: alert.id });
  expect(acked.alert?.acknowledgedAt).toBeDefined();
  expect(acked.alert?.acknowledgeComment).toBe("scaling workers");

  // The detail shows the alert, its labels and notifications.
  await row.getByRole("button", { name: "Details" }).click();
  const detail = page.getByRole("dialog", { name: "Alert" });
  await detail.getByText("queue=e2e.alerting").waitFor();
  await detail.getByText(/scaling workers/).waitFor();
  await h.screenshot("alert-detail");
  await detail.getByRole("button", { name: "Close" }).click();
  expect(h.problems).toEqual([]);
});

test("a silence is created and expired", async () => {
  const api = h.client(AlertService);
  const page = await h.open("/alerts?tab=silences");
  await page.getByRole("button", { name: "New silence" }).click();
  const dialog = page.getByRole("dialog", { name: "New silence" });
  await dialog.getByLabel("Rule").selectOption("e2e-backlog");
  await dialog.getByLabel("Queue").fill("e2e.alerting");
  await dialog.getByLabel("Duration", { exact: true }).fill("2h");
  await dialog.getByLabel("Comment").fill("deploying");
  await dialog.getByRole("button", { name: "Create silence" }).click();

  const row = page.getByRole("row").filter({ hasText: "rule=e2e-backlog queue=e2e.alerting" });
  await row.getByText("active", { exact: true }).waitFor();
  const [silence] = (await api.listSilences({})).silences.filter((s) => s.spec?.comment === "deploying");
  expect(silence.spec?.ruleId).toBe("e2e-backlog");
  const lasts = Number(silence.spec?.endsAt?.seconds) - Number(silence.spec?.startsAt?.seconds);
  expect(lasts).toBe(7200);
  // The alert it matches is marked silenced.
  await eventually("the alert to be silenced", async () => {
    const open = await api.listAlerts({ ruleId: "e2e-backlog" });
    return open.alerts[0]?.silenced ? true : undefined;
  });

  await row.getByRole("button", { name: "Expire" }).click();
  await row.waitFor({ state: "detached" });
  const expired = (await api.listSilences({ includeExpired: true })).silences.find((s) => s.id === silence.id);
  expect(expired?.state).toBe(3);
  expect(h.problems).toEqual([]);
});

test("a webhook channel made through the form is tested against a receiver, and its secret never shows", async () => {
  const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((listening) => receiver.listen(0, "127.0.0.1", listening));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?token=s3cret-token`;
  try {
    const page = await h.open("/alerts?tab=rules");
    await page.getByRole("button", { name: "New channel" }).click();
    const dialog = page.getByRole("dialog", { name: "New channel" });
    await dialog.getByLabel("Id", { exact: true }).fill("e2e-hook");
    await dialog.getByLabel("Kind").selectOption("webhook");
    await dialog.getByLabel("URL", { exact: true }).fill(hookUrl);
    await dialog.getByLabel("Signing secret (optional)").fill("hmac-secret");
    await dialog.getByRole("button", { name: "Create channel" }).click();

    const row = page.locator('tr[data-channel="e2e-hook"]');
    await row.waitFor();
    expect(await row.getByText("set", { exact: true }).count()).toBe(2);
    const stored = await h.client(AlertService).getChannel({ id: "e2e-hook" });
    expect(stored.channel?.secretsSet.sort()).toEqual(["signing_secret", "url"]);

    await row.getByRole("button", { name: "Test" }).click();
    const result = page.getByRole("dialog", { name: "Test of e2e-hook" });
    await result.getByText("delivered", { exact: true }).waitFor();
    await result.getByRole("cell", { name: "200" }).waitFor();
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body).kind).toBe("test");
    expect(received[0].headers["x-zenith-signature"]).toMatch(/^sha256=/);
    await result.getByRole("button", { name: "Close" }).click();

    // Editing shows that secrets are stored, but never their values, and keeps them when left empty.
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit channel e2e-hook" });
    const url = edit.getByLabel(/^URL/);
    expect(await url.inputValue()).toBe("");
    expect(await url.getAttribute("placeholder")).toBe("stored; leave empty to keep");
    expect(await edit.getByLabel(/^Signing secret/).inputValue()).toBe("");
    expect(await page.content()).not.toContain("s3cret-token");
    expect(await page.content()).not.toContain("hmac-secret");
    await edit.getByLabel("Description").fill("test receiver");
    await edit.getByRole("button", { name: "Save channel" }).click();
    await edit.waitFor({ state: "detached" });
    const updated = await h.client(AlertService).getChannel({ id: "e2e-hook" });
    expect(updated.channel?.spec?.description).toBe("test receiver");
    expect(updated.channel?.secretsSet.sort()).toEqual(["signing_secret", "url"]);
    expect(h.problems).toEqual([]);
  } finally {
    await new Promise((closed) => receiver.close(closed));
  }
});

test("a rule is created, disabled, enabled and deleted in the rule editor", async () => {
  const api = h.client(AlertService);
  const page = await h.open("/alerts?tab=rules");
  await page.getByRole("button", { name: "New rule" }).click();
  const dialog = page.getByRole("dialog", { name: "New rule" });
  await dialog.getByLabel("Id", { exact: true }).fill("e2e-failures");
  await dialog.getByLabel("Condition").selectOption("failureRate");
  await dialog.getByLabel("Failed above %").fill("25");
  await dialog.getByLabel("Window").fill("10m");
  await dialog.getByLabel("Queue").fill("e2e.alerting");
  await dialog.getByLabel("Pending for").fill("2m");
  await dialog.getByLabel("Severity").selectOption("critical");
  await dialog.getByLabel("e2e-hook").check();
  await dialog.getByRole("button", { name: "Create rule" }).click();

  const row = page.locator('tr[data-rule="e2e-failures"]');
  await row.getByText("Failure rate: over 25% failed, in 10m", { exact: false }).waitFor();
  await row.getByText("queue e2e.alerting").waitFor();
  const rule = (await api.getRule({ id: "e2e-failures" })).rule?.spec;
  expect(rule?.condition.case).toBe("failureRate");
  expect(rule?.condition.value).toMatchObject({ abovePercent: 25 });
  expect(Number(rule?.pendingFor?.seconds)).toBe(120);
  expect(rule?.channels).toEqual(["e2e-hook"]);
  await h.screenshot("alert-rules");

  await row.getByRole("button", { name: "Disable" }).click();
  await row.getByText("disabled", { exact: true }).waitFor();
  expect((await api.getRule({ id: "e2e-failures" })).rule?.spec?.disabled).toBe(true);
  await row.getByRole("button", { name: "Enable" }).click();
  await row.getByRole("button", { name: "Disable" }).waitFor();

  await row.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit rule e2e-failures" });
  expect(await edit.getByLabel("Failed above %").inputValue()).toBe("25");
  await edit.getByLabel("Failed above %").fill("30");
  await edit.getByRole("button", { name: "Save rule" }).click();
  await row.getByText(/over 30% failed/).waitFor();

  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete rule e2e-failures?" }).getByRole("button", { name: "Delete" }).click();
  await row.waitFor({ state: "detached" });
  await expect(api.getRule({ id: "e2e-failures" })).rejects.toThrow(/not.?found/i);
  expect(h.problems).toEqual([]);
});
