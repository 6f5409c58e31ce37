import { expect, test } from "vitest";

import { filtersFromParams, filtersToParams, rpcFilter, shortMethod } from "./audit";

test("a method is shown as service/method without the package", () => {
  expect(shortMethod("/zenith.v1.QueueService/PurgeQueue")).toBe("QueueService/PurgeQueue");
  expect(shortMethod("zenith.v1.AdminService")).toBe("AdminService");
});

test("the method filter takes what people type and sends what the server matches", () => {
  expect(rpcFilter("QueueService/PurgeQueue")).toBe("/zenith.v1.QueueService/PurgeQueue");
  expect(rpcFilter("/zenith.v1.QueueService/PurgeQueue")).toBe("/zenith.v1.QueueService/PurgeQueue");
  expect(rpcFilter("AdminService")).toBe("zenith.v1.AdminService");
  expect(rpcFilter("zenith.v1.AdminService")).toBe("zenith.v1.AdminService");
  expect(rpcFilter("  ")).toBe("");
});

test("filters round-trip through the URL, empty ones left out", () => {
  const filters = { principal: "key:abc", rpc: "", target: "emails", failuresOnly: true };
  const params = filtersToParams(filters);
  expect(params.toString()).toBe("principal=key%3Aabc&target=emails&failures=1");
  expect(filtersFromParams(params)).toEqual(filters);
});
