import { defineConfig } from 'vitest/config';

// `npm run bench`: figures printed for the maintainers, not part of `npm test`. One file at a time:
// the figures are times, and guests booting next to them would skew them.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    globalSetup: ['bench/setup.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 300_000,
    reporters: ['verbose', './bench/summaryReporter.ts'],
    silent: false,
  },
});
