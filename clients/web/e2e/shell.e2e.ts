// The shell every page shares: served by the zenith binary under a strict CSP, navigation,
// the Ctrl+K palette, themes, and no console errors.
import { afterAll, beforeAll, expect, test } from "vitest";

import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start({ noDemo: true }));
afterAll(() => h.stop());

test("the server serves the console with a strict content security policy", async () => {
  const index = await fetch(`${h.url}/`);
  expect(index.status).toBe(200);
  expect(index.headers.get("content-type")).toContain("text/html");
  const csp = index.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(index.headers.get("x-content-type-options")).toBe("nosniff");

  // An app route that is not a file gets the app; a missing asset is a plain 404.
  const deep = await fetch(`${h.url}/queues/some.queue`);
  expect(deep.status).toBe(200);
  expect(await deep.text()).toContain('<div id="root">');
  expect((await fetch(`${h.url}/assets/missing.js`)).status).toBe(404);

  // A gRPC call to a service that does not exist is UNIMPLEMENTED, not the app's HTML.
  const unknown = await fetch(`${h.url}/zenith.v1.NoSuchService/Call`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto" },
    body: new Uint8Array(5),
  });
  expect(unknown.headers.get("grpc-status")).toBe("12");
});

test("the sidebar reaches every page and the palette jumps to a page or a job", async () => {
  const page = await h.open("/");
  for (const title of ["Queues", "Workers", "Cron", "Alerts", "Search", "Logs", "Audit", "Settings", "Overview"]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: title, exact: true }).click();
    await page.getByRole("heading", { level: 1 }).first().waitFor();
  }
  expect(new URL(page.url()).pathname).toBe("/");

  await page.keyboard.press("Control+k");
  await page.getByRole("textbox", { name: "Command" }).fill("work");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/workers$/);

  await page.keyboard.press("Control+k");
  await page.getByRole("textbox", { name: "Command" }).fill("0190aaaa-bbbb");
  await page.getByRole("option", { name: /Open job 0190aaaa-bbbb/ }).click();
  await page.waitForURL(/\/jobs\/0190aaaa-bbbb$/);

  await page.keyboard.press("Control+k");
  await page.getByRole("textbox", { name: "Command" }).fill("card declined");
  await page.getByRole("option", { name: /Search for card declined/ }).click();
  await page.waitForURL(/\/search\?q=card(%20|\+)declined$/);
  expect(await page.getByRole("searchbox").or(page.getByRole("textbox")).first().inputValue()).toBe("card declined");
});

test("the theme toggles between dark and light and is remembered", async () => {
  const page = await h.open("/");
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  expect(await theme()).toBe("dark");
  await page.getByRole("button", { name: "Toggle theme" }).click();
  expect(await theme()).toBe("light");
  await page.reload();
  expect(await theme()).toBe("light");
  await page.getByRole("button", { name: "Toggle theme" }).click();
  expect(await theme()).toBe("dark");
  expect(h.problems).toEqual([]);
});
