// Builds the browser app into dist/web, which the gateway serves at `/`.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: './',
  // Private mode's OHTTP client (loaded on demand); every other @doppel import in the app is type-only.
  resolve: { alias: { '@doppel/ohttp': resolve(__dirname, '../../libs/ohttp/src/index.ts') } },
  build: {
    outDir: resolve(__dirname, '../../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
