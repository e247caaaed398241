import { defineConfig } from 'vitest/config';

// End-to-end tests in a real VS Code (code-server + chromium): one file at a time, each with its
// own code-server, guest and browser; slow on 2 cores, so generous timeouts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    reporters: ['verbose'],
  },
});
