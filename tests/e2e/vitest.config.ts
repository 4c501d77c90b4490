// Vitest config for the browser end-to-end suite (tests/e2e/**/*.e2e.test.ts, tests/audit/**/*.e2e.test.ts).
// Run: npx vitest run --config tests/e2e/vitest.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The repo root, so include globs and dist/ paths resolve the same from any cwd.
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    environment: 'node',
    // Same closing line as the unit suite ("e2e: N passed, N failed, N skipped" with CW_SUITE=e2e).
    reporters: ['default', './tests/summary-reporter.ts'],
    // tests/audit: the site audit command (src/audit), run as a child process against loopback sites.
    include: ['tests/e2e/**/*.e2e.test.ts', 'tests/audit/**/*.e2e.test.ts'],
    // One browser per file and only 2 cores: run files one at a time (testing-in-browsers.md).
    fileParallelism: false,
    // Firefox cold start is 5-13 s under load (testing-in-browsers.md); launches happen in hooks.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // A browser test that fails once is a real signal; do not hide flakiness with retries.
    retry: 0,
  },
});
