// Runs the harness's unit specs (loadtest/**/*.spec.ts) on their own: they need no database or Redis, so no
// global setup. `npx vitest run --config loadtest/vitest.config.ts`
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import root from '../vitest.config';

export default defineConfig({
  ...root,
  root: resolve(__dirname, '..'),
  test: { ...root.test, include: ['loadtest/**/*.spec.ts'], globalSetup: [] },
});
