import { beforeEach, expect, test } from "vitest";

import type { UnaryRequest, UnaryResponse } from "@connectrpc/connect";

import { bearer } from "./clients";
import { CLUSTER_HEADER, selectCluster, selectedCluster, subscribeCluster } from "./cluster";

beforeEach(() => localStorage.clear());

// Runs the console's interceptor on a request and returns the headers it went out with.
async function sentHeaders(): Promise<Headers> {
  let sent: Headers | undefined;
  const request = { stream: false, header: new Headers() } as unknown as UnaryRequest;
  await bearer(async (outgoing) => {
    sent = outgoing.header;
    return { stream: false } as unknown as UnaryResponse;
  })(request);
  return sent!;
}

test("the chosen cluster is remembered and listeners hear of changes, once each", () => {
  const heard: (string | null)[] = [];
  const unsubscribe = subscribeCluster(() => heard.push(selectedCluster()));
  expect(selectedCluster()).toBeNull();
  selectCluster("prod");
  selectCluster("prod");
  expect(localStorage.getItem("zenith.cluster")).toBe("prod");
  selectCluster(null);
  unsubscribe();
  selectCluster("dev");
  expect(heard).toEqual(["prod", null]);
  expect(selectedCluster()).toBe("dev");
});

test("every call names the chosen cluster, and none names the default", async () => {
  expect((await sentHeaders()).has(CLUSTER_HEADER)).toBe(false);
  selectCluster("prod");
  expect((await sentHeaders()).get(CLUSTER_HEADER)).toBe("prod");
  localStorage.setItem("zenith.apiKey", "zk_a_b");
  const headers = await sentHeaders();
  expect(headers.get("authorization")).toBe("Bearer zk_a_b");
  expect(headers.get(CLUSTER_HEADER)).toBe("prod");
});
