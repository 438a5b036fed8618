import { defineConfig } from 'vitest/config';

// Tests run in forked processes, not worker threads: the native addon, process.chdir,
// signals and child processes all behave as they do in a real agent only in a process
// of their own.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/harness/global-setup.ts'],
    reporters: ['default'],
  },
});
