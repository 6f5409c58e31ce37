import { expect, test } from "vitest";

import { formatBytes, formatDuration, formatRelative } from "./format";

test("durations show at most two units", () => {
  expect(formatDuration(500)).toBe("500ms");
  expect(formatDuration(65_000)).toBe("1m 5s");
  expect(formatDuration(3 * 86400_000 + 4 * 3600_000 + 5000)).toBe("3d 4h");
  expect(formatDuration(undefined)).toBe("—");
});

test("relative times read past and future", () => {
  expect(formatRelative(10_000, 70_000)).toBe("1m ago");
  expect(formatRelative(70_000, 10_000)).toBe("in 1m");
});

test("bytes use binary units", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.5 KiB");
});
