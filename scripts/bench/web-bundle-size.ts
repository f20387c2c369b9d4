// npm run bench:web-bundle: prints the web app's first-load JS (gzip) against the 32 KiB cap and writes
// scripts/bench/results/web-bundle.json. Run `npm run build` first.
import { resolve } from 'node:path';
import { machine, writeResult } from './bench-support';
import { measureWebBundle, type AssetSize } from './web-bundle';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const row = (asset: AssetSize) => `  ${asset.file.padEnd(40)} ${kib(asset.bytes).padStart(10)} ${kib(asset.gzipBytes).padStart(10)} gzip`;

async function main(): Promise<void> {
  const report = await measureWebBundle(resolve(__dirname, '../../dist/web'));
  console.log('first load (chat view):');
  report.firstLoadJs.forEach((asset) => console.log(row(asset)));
  console.log(`  total JS gzip ${kib(report.firstLoadJsGzipBytes)} of ${kib(report.capGzipBytes)} allowed`);
  console.log('styles:');
  report.css.forEach((asset) => console.log(row(asset)));
  console.log('loaded on demand:');
  report.onDemandJs.forEach((asset) => console.log(row(asset)));
  const path = await writeResult('web-bundle', { machine: machine(), ...report });
  console.log(`written to ${path}`);
  if (report.firstLoadJsGzipBytes > report.capGzipBytes) process.exitCode = 1;
}

void main();
