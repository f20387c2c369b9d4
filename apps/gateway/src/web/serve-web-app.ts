// Serves the browser app (built by Vite into dist/web) at `/`. Its screens are hash routes (#/chat/…), so the
// only paths it takes are `/`, `/index.html` and `/assets/*`; every REST route and /docs stay as they were.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** dist/apps/gateway/main.js → dist/web; from a checkout's root, dist/web. */
export function findWebAppDir(): string | null {
  const candidates = [resolve(__dirname, '../../web'), resolve(process.cwd(), 'dist/web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

export function serveWebApp(app: NestExpressApplication, dir: string): void {
  app.useStaticAssets(dir, {
    index: 'index.html',
    fallthrough: true,
    setHeaders: (response, path) => {
      // Vite puts a content hash in every asset name, so those never change; index.html must be re-read.
      response.setHeader('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      response.setHeader('x-content-type-options', 'nosniff');
    },
  });
}
