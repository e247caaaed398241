import { defineConfig } from 'vitest/config';

// `npm run bench`: figures printed for the maintainers, not part of `npm test`.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
    silent: false,
  },
});
