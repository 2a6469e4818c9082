import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** `npm run test:faults`: the slow reliability runs (test/faults), on the same real services as `npm test`. */
export default defineConfig({
  test: { ...base.test, include: ['test/faults/**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 30 * 60_000 },
});
