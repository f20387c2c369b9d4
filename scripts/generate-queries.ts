// `npm run queries:generate`: writes the turn path's SQL beside each repository (see scripts/queries/hot-queries.ts).
// Re-run it after changing a query; a conflict in a generated .sql file is resolved by running it again.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateQueryFiles } from './queries/hot-queries';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  for (const [file, text] of await generateQueryFiles()) {
    writeFileSync(resolve(root, file), text);
    console.log(`queries: ${file}`);
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
