import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocols,hardware,edge,gateway,sim,bin}/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Pty and process tests share the machine's two cores; keep parallelism modest.
    maxWorkers: 2,
  },
});
