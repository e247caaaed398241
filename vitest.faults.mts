import { defineConfig } from 'vitest/config';

// npm run faults: every fault at every packet index (FAULT_SWEEP=sample: CI's sample), three sweeps side by side, one table at the end.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    env: { FAULT_SWEEP: process.env.FAULT_SWEEP ?? 'full', FAULT_SUMMARY: '1' },
    globalSetup: ['test/faults/summary.setup.ts'],
    maxWorkers: 3,
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
