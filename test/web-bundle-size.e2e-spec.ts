// The web app's quality bar: the chat view's first load stays under 32 KiB of gzip-compressed JS, with ethers,
// markdown-it and the other screens left to load on demand. Reads the build (npm run build).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIRST_LOAD_JS_GZIP_CAP_BYTES, measureWebBundle } from '../scripts/bench/web-bundle';

const WEB_DIST = resolve(__dirname, '../dist/web');

describe('web bundle size', () => {
  it('keeps the first load under the cap and the heavy parts on demand', async () => {
    expect(existsSync(resolve(WEB_DIST, 'index.html')), 'run `npm run build` first').toBe(true);
    const report = await measureWebBundle(WEB_DIST);
    expect(report.firstLoadJs.length).toBeGreaterThan(0);
    expect(report.firstLoadJsGzipBytes).toBeGreaterThan(0);
    expect(report.firstLoadJsGzipBytes).toBeLessThanOrEqual(FIRST_LOAD_JS_GZIP_CAP_BYTES);
    // ethers (the receipt checker), markdown-it (the Markdown renderer), the studio and the dashboard are not in the first load.
    const onDemand = report.onDemandJs.map((asset) => asset.file);
    for (const chunk of [/\/receipt-check-/, /\/markdown-/, /\/studio-/, /\/ops-/]) expect(onDemand.some((file) => chunk.test(file)), String(chunk)).toBe(true);
    expect(report.firstLoadJs.some((asset) => /receipt-check|markdown|studio|ops/.test(asset.file))).toBe(false);
  });
});
