// `import <file> [--public] [--url <gateway>]`: imports an ElizaOS character or a character card (JSON, PNG, CHARX)
// through the running gateway and prints the report. Uses DOPPEL_API_KEY, or the demo key that `seed` wrote.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { readDemoCredentials } from './demo-credentials';

interface ImportResponse {
  persona?: { id: string; definition: { name: string } };
  report?: { format: string; mapped: { from: string; to: string }[]; dropped: { field: string; reason: string }[]; warnings: string[] };
  code?: string;
  message?: string;
}

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
  if (!file) throw new Error('usage: import <character.json|card.png|card.charx> [--public] [--url <gateway>]');
  const apiKey = process.env.DOPPEL_API_KEY ?? (await readDemoCredentials())?.apiKey;
  if (!apiKey) throw new Error('No API key: set DOPPEL_API_KEY, or run `npm run seed` for the demo key.');
  const content = await readFile(file);
  const response = await fetch(new URL('/personas/import', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileName: basename(file), contentBase64: content.toString('base64'), visibility }),
  });
  const body = (await response.json()) as ImportResponse;
  if (!response.ok || !body.persona || !body.report) throw new Error(`import refused (${response.status} ${body.code}): ${body.message}`);
  console.log(`imported "${body.persona.definition.name}" as persona ${body.persona.id} (${visibility}) from ${body.report.format}`);
  for (const mapping of body.report.mapped) console.log(`  mapped   ${mapping.from} → ${mapping.to}`);
  for (const dropped of body.report.dropped) console.log(`  dropped  ${dropped.field}: ${dropped.reason}`);
  for (const warning of body.report.warnings) console.log(`  warning  ${warning}`);
}
