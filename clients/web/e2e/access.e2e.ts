// Access control in the console, against a server that requires API keys (started with
// `--bootstrap-admin-key`): the login, a wrong key refused, the admin making a viewer key whose
// token is shown once, the viewer refused an admin action and shown no payloads, and the audit
// log showing that refusal to the admin.
import { afterAll, beforeAll, expect, test } from "vitest";

import type { Page } from "playwright-core";

import { AdminService } from "../src/gen/zenith/v1/admin_pb";
import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { Harness } from "./harness";

const BOOTSTRAP = "zk_bootstrap_0123456789abcdefghijklmnopqrstuvwxyzABCD";
const QUEUE = "e2e.access";

const h = new Harness();
let viewerToken = "";
let jobId = "";

beforeAll(async () => {
  await h.start({ noDemo: true, serverArgs: ["--bootstrap-admin-key", BOOTSTRAP] });
  const queues = h.client(QueueService, BOOTSTRAP);
  for (let i = 0; i < 3; i++) {
    const response = await queues.enqueue({
      job: {
        queue: QUEUE,
        type: "send_invoice",
        payload: new TextEncoder().encode(JSON.stringify({ customer: `secret-customer-${i}` })),
        contentType: "application/json",
      },
    });
    jobId ||= response.job?.id ?? "";
  }
});
afterAll(() => h.stop());

async function signIn(page: Page, key: string) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("API key").fill(key);
  await form.getByRole("button", { name: "Sign in" }).click();
  await form.waitFor({ state: "detached" });
}

async function signOut(page: Page) {
  await page.getByTestId("identity").getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("form", { name: "Sign in" }).waitFor();
}

test("the console asks for a key, refuses a wrong one with the server's reason, and the bootstrap key signs in", async () => {
  const page = h.page;
  const sent: (string | undefined)[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/zenith.v1.")) sent.push(request.headers().authorization);
  });
  await h.open("/queues", page);
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByRole("heading", { name: "Sign in with an API key" }).waitFor();
  expect(await page.getByTestId("login-reason").textContent()).toContain("missing api key");
  await form.getByText("zenith keys create --role admin").waitFor();
  expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);

  await form.getByLabel("API key").fill("zk_wrong_0123456789abcdefghijklmnopqrstuvwxyzABCD");
  await form.getByRole("button", { name: "Sign in" }).click();
  await form.getByRole("alert").getByText("The server refused this key: api key is not valid").waitFor();
  expect(await page.evaluate(() => localStorage.getItem("zenith.apiKey"))).toBeNull();

  await signIn(page, BOOTSTRAP);
  const identity = page.getByTestId("identity");
  await identity.getByText("bootstrap admin").waitFor();
  await identity.getByText("admin", { exact: true }).waitFor();
  // The page asked for resumes where it was, with the key on every call from now on.
  await page.locator(`tr[data-queue="${QUEUE}"]`).waitFor();
  expect(new URL(page.url()).pathname).toBe("/queues");
  const sinceLogin = sent.length;
  await page.reload();
  await page.locator(`tr[data-queue="${QUEUE}"]`).waitFor();
  expect(new Set(sent.slice(sinceLogin))).toEqual(new Set([`Bearer ${BOOTSTRAP}`]));
  expect(h.problems).toEqual([]);
});

test("an admin makes a viewer key whose token is shown once; the viewer is refused a purge and sees no payloads", async () => {
  const page = h.page;
  await h.open("/settings", page);
  const panel = page.getByRole("region", { name: "API keys" });
  await panel.getByText("bootstrap admin").waitFor();
  await page.getByTestId("server-access").getByText("keys required").waitFor();

  await panel.getByRole("button", { name: "Create key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Name").fill("e2e viewer");
  await dialog.getByLabel(/^Role/).selectOption({ label: "viewer" });
  await dialog.getByLabel(/Sees job payloads/).uncheck();
  await dialog.getByRole("button", { name: "Create key" }).click();

  const shown = page.getByRole("dialog", { name: 'Key "e2e viewer" created' });
  await shown.getByText("shown this once").waitFor();
  const token = (await shown.getByTestId("new-token").textContent()) ?? "";
  expect(token).toMatch(/^zk_[a-z0-9]+_\S+$/);
  await shown.getByRole("button", { name: "Copy token" }).click();
  await shown.getByRole("button", { name: "Copied", exact: true }).waitFor();
  viewerToken = await page.evaluate(() => navigator.clipboard.readText());
  expect(viewerToken).toBe(token);
  await shown.getByRole("button", { name: "Done, I have copied it" }).click();
  await shown.waitFor({ state: "detached" });
  expect(await page.getByText(token).count()).toBe(0);

  const row = panel.getByRole("row", { name: /e2e viewer/ });
  await row.getByText("hidden").waitFor();
  expect(await row.getByText("viewer", { exact: true }).count()).toBe(1);
  await panel.scrollIntoViewIfNeeded();
  await h.screenshot("settings-keys");

  await signOut(page);
  await signIn(page, viewerToken);
  await page.getByTestId("identity").getByText("e2e viewer").waitFor();

  await h.open("/queues", page);
  await page.getByRole("button", { name: `Purge ${QUEUE}` }).click();
  const confirm = page.getByRole("dialog");
  await confirm.getByRole("button", { name: "Purge" }).click();
  await confirm.getByRole("alert").getByText("role viewer may not call QueueService/PurgeQueue; it needs admin").waitFor();
  await confirm.getByRole("button", { name: "Cancel" }).click();

  await h.open(`/jobs/${jobId}`, page);
  await page.getByTestId("payload-redacted").getByText("payload is hidden for this API key").waitFor();
  expect(await page.getByText("secret-customer-0").count()).toBe(0);

  await h.open("/settings", page);
  await page.getByTestId("keys-admins-only").getByText("signs in as viewer").waitFor();
  await h.open("/audit", page);
  await page.getByTestId("audit-admins-only").waitFor();
  expect(h.problems).toEqual([]);
});

test("the admin finds the viewer's refused purge in the audit log, pages through it and reads a request", async () => {
  const page = h.page;
  await signOut(page);
  await signIn(page, BOOTSTRAP);
  // More refused calls than one page holds.
  const anonymous = h.client(AdminService);
  await Promise.all(Array.from({ length: 55 }, () => anonymous.whoAmI({}).catch(() => undefined)));
  // The audit log is written in the background: wait until the refusals are stored.
  const admin = h.client(AdminService, BOOTSTRAP);
  await expect
    .poll(
      async () =>
        (await admin.listAuditEvents({ principal: "anonymous@", failuresOnly: true, pageSize: 100 }))
          .events.length,
      { timeout: 5000 },
    )
    .toBeGreaterThanOrEqual(55);

  await page.keyboard.press("Control+k");
  await page.getByRole("textbox", { name: "Command" }).fill("audit");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/audit$/);
  await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();

  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Failures only").check();
  await page.waitForURL(/failures=1/);
  const events = page.getByRole("region", { name: "Audit events" });
  const rows = events.locator("tr.audit-row");
  // Newest first: the 55 anonymous refusals fill the first page, the purge is on the second.
  await events.getByText("50 events, more on the server").waitFor();
  expect(await rows.count()).toBe(50);
  expect(await events.getByRole("row", { name: /QueueService\/PurgeQueue/ }).count()).toBe(0);
  await events.getByRole("button", { name: "Load more" }).click();
  const refused = events.getByRole("row", { name: /QueueService\/PurgeQueue/ });
  await refused.getByText("PERMISSION_DENIED").waitFor();
  expect(await rows.count()).toBeGreaterThan(55);
  expect(await refused.textContent()).toContain("e2e viewer");
  expect(await refused.textContent()).toContain("role viewer may not call QueueService/PurgeQueue; it needs admin");

  // Only what keys did: the admin's key and calls, the viewer's refusals.
  await filters.getByLabel("Failures only").uncheck();
  await filters.getByLabel("Principal").fill("key:");
  await filters.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/principal=key/);
  await events.getByRole("row", { name: /AdminService\/CreateApiKey/ }).waitFor();
  expect(await events.getByText("anonymous@127.0.0.1").count()).toBe(0);
  await h.screenshot("audit");

  await filters.getByLabel("Principal").fill("");
  await filters.getByLabel("Method or service").fill("AdminService/CreateApiKey");
  await filters.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/rpc=/);
  const created = events.getByRole("row", { name: /AdminService\/CreateApiKey/ });
  await created.getByText("OK", { exact: true }).waitFor();
  expect(await rows.count()).toBe(1);
  await created.getByRole("button", { name: "Show the request" }).click();
  const request = events.getByTestId("audit-request");
  await request.getByText('"e2e viewer"').waitFor();
  expect(await request.textContent()).toContain('"ROLE_VIEWER"');
  expect(await request.textContent()).not.toContain(viewerToken);
  expect(h.problems).toEqual([]);
});

test("on an open server the first key's token stays on screen until copied, then the console asks for a key", async () => {
  const open = new Harness();
  try {
    await open.start({ noDemo: true });
    const page = await open.open("/settings");
    await page.getByTestId("identity").getByText("open mode").waitFor();
    await page.getByRole("region", { name: "API keys" }).getByRole("button", { name: "Create key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API key" });
    await dialog.getByText("This is the server's first key").waitFor();
    await dialog.getByLabel("Name").fill("first admin");
    await dialog.getByLabel(/^Role/).selectOption({ label: "admin" });
    await dialog.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: 'Key "first admin" created' });
    const token = (await shown.getByTestId("new-token").textContent()) ?? "";
    // The server now refuses this browser, and the page's own refreshes meet that refusal,
    // but the token stays until it is dismissed.
    await page.waitForTimeout(6000);
    expect(await shown.getByTestId("new-token").textContent()).toBe(token);
    await shown.getByRole("button", { name: "Done, I have copied it" }).click();
    await page.getByTestId("login-reason").getByText("missing api key").waitFor();
    await signIn(page, token);
    await page.getByTestId("identity").getByText("first admin").waitFor();
    await page.getByTestId("server-access").getByText("keys required").waitFor();
    expect(open.problems).toEqual([]);
  } finally {
    await open.stop();
  }
});
