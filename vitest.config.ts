import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const libs = ['accounts', 'attestation', 'chain', 'config', 'conversations', 'db', 'earnings', 'hub', 'inference', 'knowledge', 'memory', 'models', 'nodes', 'ohttp', 'persona-cards', 'personas', 'protocol', 'queue', 'redis', 'settlement', 'streaming', 'turns', 'twin-shares', 'verification', 'zkml'];

export default defineConfig({
  // SWC emits the decorator metadata that Nest's dependency injection reads; esbuild does not.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: Object.fromEntries(libs.map((lib) => [`@doppel/${lib}`, resolve(__dirname, `libs/${lib}/src/index.ts`)])),
  },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'loadtest/src/**/*.spec.ts', 'scripts/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'test/medium/*.medium-spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The machine has two cores and the e2e suites start real processes: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
