import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end tests in a real VS Code run on their own: npm run test:e2e.
    exclude: ['test/e2e/**', '**/node_modules/**'],
    // Integration tests boot QEMU guests; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
