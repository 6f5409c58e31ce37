import { defineConfig } from "vitest/config";

// End-to-end: each file starts its own Redis and `zenith serve --demo` and drives Debian's
// Chromium through playwright-core. Files run one at a time (2 cores, one browser each).
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
