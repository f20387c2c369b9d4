// Builds the browser app into dist/web, which the gateway serves at `/`.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: './',
  resolve: {
    alias: {
      // The wire contract without Node (schemas, constants, canonical JSON); and private mode's OHTTP client.
      '@doppel/protocol': resolve(__dirname, '../../libs/protocol/src/browser.ts'),
      '@doppel/ohttp': resolve(__dirname, '../../libs/ohttp/src/index.ts'),
      // The operator's return arithmetic (pure functions) for the economics dashboard.
      '@doppel/earnings': resolve(__dirname, '../../libs/earnings/src/browser.ts'),
      // The receipt check's zk and settlement halves; imported dynamically, as they bring ethers.
      '@doppel/zkml': resolve(__dirname, '../../libs/zkml/src/browser.ts'),
      '@doppel/settlement': resolve(__dirname, '../../libs/settlement/src/browser.ts'),
    },
  },
  build: {
    rollupOptions: {
      // The protocol's modules only declare (schemas, constants): one whose exports the app does not use is left
      // out, so reading a constant does not bring zod and every schema into the bundle.
      treeshake: { moduleSideEffects: (id) => !id.includes('/libs/protocol/src/') },
      // A lib's browser entry loaded on demand is named after the lib (zkml-….js), not `browser-….js` twice.
      output: { chunkFileNames: (chunk) => `assets/${/\/libs\/([^/]+)\/src\/browser\.ts$/.exec(chunk.facadeModuleId ?? '')?.[1] ?? '[name]'}-[hash].js` },
    },
    outDir: resolve(__dirname, '../../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
