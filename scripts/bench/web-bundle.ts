// What a browser downloads to show the web app's first screen (the chat view lives in the entry): the scripts
// index.html loads and every chunk they import statically, gzip-compressed. Chunks reached only through dynamic
// import() (studio, dashboard, the receipt checker with ethers, the Markdown renderer) load later, on demand, and are listed apart.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// 24.0 KiB with markdown-it loaded on demand (it alone is ~41 KiB): the cap keeps that gain, with room to grow.
export const FIRST_LOAD_JS_GZIP_CAP_BYTES = 32 * 1024;

export interface AssetSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleReport {
  firstLoadJs: AssetSize[];
  firstLoadJsGzipBytes: number;
  css: AssetSize[];
  onDemandJs: AssetSize[];
  capGzipBytes: number;
}

const STATIC_IMPORT = /(?:^|[;\n}])\s*import\s*(?:[\w$*{}\s,]+from\s*)?["'](\.\/[^"']+\.js)["']|(?:^|[;\n}])\s*export\s*[\w$*{}\s,]+from\s*["'](\.\/[^"']+\.js)["']/g;

async function sizeOf(dir: string, file: string): Promise<AssetSize> {
  const content = await readFile(join(dir, file));
  return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
}

/** `dir` is dist/web. */
export async function measureWebBundle(dir: string): Promise<BundleReport> {
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]+type="module"[^>]+src="\.\/([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\.\/([^"]+)"/g)].map((match) => match[1]!);
  const firstLoad = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (firstLoad.has(file)) continue;
    firstLoad.add(file);
    const source = await readFile(join(dir, file), 'utf8');
    const folder = file.slice(0, file.lastIndexOf('/') + 1);
    for (const match of source.matchAll(STATIC_IMPORT)) pending.push(`${folder}${(match[1] ?? match[2])!.slice(2)}`);
  }
  const assets = (await readdir(join(dir, 'assets'))).map((name) => `assets/${name}`);
  const firstLoadJs = await Promise.all([...firstLoad].sort().map((file) => sizeOf(dir, file)));
  const css = await Promise.all(assets.filter((file) => file.endsWith('.css')).map((file) => sizeOf(dir, file)));
  const onDemandJs = await Promise.all(assets.filter((file) => file.endsWith('.js') && !firstLoad.has(file)).map((file) => sizeOf(dir, file)));
  return {
    firstLoadJs,
    firstLoadJsGzipBytes: firstLoadJs.reduce((sum, asset) => sum + asset.gzipBytes, 0),
    css,
    onDemandJs,
    capGzipBytes: FIRST_LOAD_JS_GZIP_CAP_BYTES,
  };
}
