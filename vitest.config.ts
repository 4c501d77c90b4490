import { defineConfig } from 'vitest/config';

// Unit tests: the engine and state logic in Node. The real-browser suite has
// its own config (tests/e2e/vitest.config.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', './tests/summary-reporter.ts'],
  },
});
