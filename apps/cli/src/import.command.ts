// `import <file> [--public] [--url <gateway>]`: imports an ElizaOS character (or a list of them), a character card
// (JSON, PNG, CHARX) or a lorebook through the running gateway, sending the file itself, and prints the report.
// Uses DOPPEL_API_KEY, or the demo key that `seed` wrote.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ImportReport, ImportResponse } from '@doppel/persona-cards';
import type { ErrorBody, Wire } from '@doppel/protocol';
import { readDemoCredentials } from './demo-credentials';

export async function runImport(args: string[]): Promise<void> {
  let url = process.env.DOPPEL_URL ?? 'http://127.0.0.1:3000';
  let visibility: 'public' | 'private' = 'private';
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--url') url = args[++i] ?? url;
    else if (arg === '--public') visibility = 'public';
    else file ??= arg;
  }
  if (!file) throw new Error('usage: import <character.json|card.png|card.charx|lorebook.json> [--public] [--url <gateway>]');
  const apiKey = process.env.DOPPEL_API_KEY ?? (await readDemoCredentials())?.apiKey;
  if (!apiKey) throw new Error('No API key: set DOPPEL_API_KEY, or run `npm run seed` for the demo key.');
  const content = await readFile(file);
  const target = new URL('/personas/import', url);
  target.searchParams.set('fileName', basename(file));
  target.searchParams.set('visibility', visibility);
  const response = await fetch(target, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/octet-stream' }, body: content });
  const body = (await response.json()) as Wire<ImportResponse> | ErrorBody;
  if (!response.ok || !('kind' in body)) throw new Error(`import refused (${response.status} ${'code' in body ? body.code : ''}): ${'message' in body ? body.message : ''}`);
  if (body.kind === 'lorebook') {
    console.log(`imported lorebook "${body.lorebook.book.name}" (${body.lorebook.book.entries.length} entries) as ${body.lorebook.id} from ${body.report.format}`);
    printReport(body.report);
    return;
  }
  for (const { persona, report } of body.kind === 'persona' ? [body] : body.personas) {
    console.log(`imported "${persona.definition.name}" as persona ${persona.id} (${visibility}) from ${report.format}`);
    printReport(report);
  }
}

function printReport(report: ImportReport): void {
  for (const mapping of report.mapped) console.log(`  mapped   ${mapping.from} → ${mapping.to}`);
  for (const dropped of report.dropped) console.log(`  dropped  ${dropped.field}: ${dropped.reason}`);
  for (const warning of report.warnings) console.log(`  warning  ${warning}`);
}
