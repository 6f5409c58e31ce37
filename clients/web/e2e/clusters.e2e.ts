// Two clusters behind one server: the sidebar's switcher lists them, and switching shows the
// other cluster's queues, remembered across a reload.
import { afterAll, beforeAll, expect, test } from "vitest";

import { QueueService } from "../src/gen/zenith/v1/queue_pb";
import { Harness } from "./harness";

const h = new Harness();

beforeAll(async () => {
  await h.start({ noDemo: true, clusters: ["dev", "prod"] });
  await h.client(QueueService, undefined, "dev").enqueue({ job: { queue: "e2e.dev-only", type: "t" } });
  await h.client(QueueService, undefined, "prod").enqueue({ job: { queue: "e2e.prod-only", type: "t" } });
});
afterAll(() => h.stop());

test("switching cluster shows that cluster's queues and is remembered", async () => {
  const page = h.page;
  const sent: (string | undefined)[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/zenith.v1.QueueService/")) sent.push(request.headers()["x-zenith-cluster"]);
  });
  await h.open("/queues", page);
  const switcher = page.getByRole("combobox", { name: "Cluster" });
  await page.locator('tr[data-queue="e2e.dev-only"]').waitFor();
  expect(await switcher.inputValue()).toBe("dev");
  expect(await page.locator('tr[data-queue="e2e.prod-only"]').count()).toBe(0);
  // The default cluster is reached without naming it.
  expect(sent.every((cluster) => cluster === undefined)).toBe(true);

  await switcher.selectOption("prod");
  await page.locator('tr[data-queue="e2e.prod-only"]').waitFor();
  expect(await page.locator('tr[data-queue="e2e.dev-only"]').count()).toBe(0);
  expect(sent.at(-1)).toBe("prod");

  await page.reload();
  await page.locator('tr[data-queue="e2e.prod-only"]').waitFor();
  expect(await page.getByRole("combobox", { name: "Cluster" }).inputValue()).toBe("prod");

  await page.getByRole("combobox", { name: "Cluster" }).selectOption("dev");
  await page.locator('tr[data-queue="e2e.dev-only"]').waitFor();
  expect(await page.evaluate(() => localStorage.getItem("zenith.cluster"))).toBeNull();
  expect(h.problems).toEqual([]);
});
