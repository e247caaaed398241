import { defineConfig } from 'vitest/config';

// npm run fuzz: only the fuzz properties, each with 10^6 inputs (FUZZ_RUNS overrides).
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.fuzz.test.ts'],
    env: { FUZZ_RUNS: process.env.FUZZ_RUNS ?? '1000000' },
    testTimeout: 3_600_000,
    maxWorkers: 2,
    hookTimeout: 60_000,
    reporters: ['verbose'],
  },
});
