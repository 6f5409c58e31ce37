// Every page against the live demo: fits 1280×800 without sideways scrolling, does not shift
// while data streams in, breaks no CSP rule and logs no error.
import { afterAll, beforeAll, expect, test } from "vitest";

import { Harness } from "./harness";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const PAGES = ["/", "/queues", "/queues/demo.emails", "/workers", "/cron", "/alerts", "/search", "/logs", "/audit", "/settings"];

test.each(PAGES)("%s fits the window and holds still while data streams", async (path) => {
  const page = await h.newPage();
  await page.addInitScript(() => {
    const seen: { shift: number; violations: string[] } = { shift: 0, violations: [] };
    Object.assign(window, { __zenithSeen: seen });
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await h.open(path, page);
  await page.getByRole("heading", { level: 1 }).first().waitFor();
  // The first data arrives and lays out; from then on, streaming updates must not move things.
  await page.waitForTimeout(2000);
  await page.evaluate(() => {
    new PerformanceObserver((list) => {
      const seen = (window as unknown as { __zenithSeen: { shift: number } }).__zenithSeen;
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!entry.hadRecentInput) seen.shift += entry.value;
      }
    }).observe({ type: "layout-shift", buffered: false });
  });
  await page.waitForTimeout(3000);
  const seen = await page.evaluate(
    () => (window as unknown as { __zenithSeen: { shift: number; violations: string[] } }).__zenithSeen,
  );
  expect(seen.violations).toEqual([]);
  // 0.1 is the web's own line between a page that holds still and one that jumps.
  expect(seen.shift).toBeLessThan(0.1);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(1280);
  await page.close();
  expect(h.problems).toEqual([]);
});
