import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "emulator",
          include: ["test/emulator/**/*.test.ts", "test/gaap/**/*.test.ts", "test/conformance/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          // The fault suite shares the control plane (npm run test:faults runs it alone, at full size).
          include: ["test/integration/**/*.test.ts", "test/faults/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The shared control plane has two cores to work with; files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
