// `models hub …`: the model hub from the terminal.
//   import <folder> [--account <id>]   publish every card of a folder as a listing (the seed catalogue), in process
//   publish <model folder> --card <card.md> [--url <gateway>]   upload a model's files and card to a running hub
//   reindex                            embed every searchable card again with the deployment's embedding model
import { openAsBlob } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';
import { HubEmbedder, HubRepository, HubService, importCardFolder } from '@doppel/hub';
import { ModelRegistry, ModelsRepository } from '@doppel/models';
import { nodeRegistryFor, NodesRepository } from '@doppel/nodes';
import { createRedis } from '@doppel/redis';
import { readDemoCredentials } from './demo-credentials';

const USAGE = 'usage: models hub import <cards folder> [--account <id>] | models hub publish <model folder> --card <card.md> [--url <gateway>] | models hub reindex';

export async function runHub(config: AppConfig, args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'publish') return publish(rest);
  if (subcommand !== 'import' && subcommand !== 'reindex') throw new Error(USAGE);
  const db = createDatabase(config.databaseUrl, { maxConnections: 2 });
  // Publishing a listing never reads node heartbeats, so this client never connects.
  const redis = createRedis(config.redis, { lazy: true });
  const embedder = new HubEmbedder(new ModelRegistry(new ModelsRepository(db), config), config);
  try {
    const hub = new HubService(new HubRepository(db), embedder, new NodesRepository(db), nodeRegistryFor(redis, config), config);
    if (subcommand === 'reindex') {
      const count = await hub.reembedSearch((line) => console.log(`hub: ${line}`));
      console.log(`hub: ${count} cards embedded with ${config.models.embeddingModel}`);
      return;
    }
    const folder = rest.find((arg, index) => !arg.startsWith('--') && rest[index - 1] !== '--account');
    if (!folder) throw new Error(USAGE);
    const accountId = rest.includes('--account') ? rest[rest.indexOf('--account') + 1]! : await publisherAccount(db);
    const report = await importCardFolder(hub, accountId, folder, (line) => console.log(`hub: ${line}`));
    for (const failure of report.failed) console.log(`hub: refused ${failure.file}: ${failure.reason}`);
    console.log(`hub: ${report.published.length} cards published, ${report.alreadyPublished.length} already there, ${report.failed.length} refused (${folder})`);
    if (report.failed.length > 0) process.exitCode = 1;
  } finally {
    await embedder.onApplicationShutdown();
    redis.disconnect();
    await db.destroy();
  }
}

/** The demo account when `seed` made one, else an account of its own for the catalogue. */
async function publisherAccount(db: ReturnType<typeof createDatabase>): Promise<string> {
  const accounts = new AccountsService(new AccountsRepository(db));
  const demo = await readDemoCredentials();
  if (demo && (await accounts.authenticate(demo.apiKey))) return demo.accountId;
  const created = await accounts.create('Model hub catalogue');
  console.log(`hub: publishing as a new account "Model hub catalogue" (${created.id})`);
  return created.id;
}

async function publish(args: string[]): Promise<void> {
  let url = process.env.DOPPEL_URL ?? 'http://127.0.0.1:3000';
  let cardPath: string | undefined;
  let folder: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--url') url = args[++i] ?? url;
    else if (args[i] === '--card') cardPath = args[++i];
    else folder ??= args[i];
  }
  if (!folder || !cardPath) throw new Error(USAGE);
  const apiKey = process.env.DOPPEL_API_KEY ?? (await readDemoCredentials())?.apiKey;
  if (!apiKey) throw new Error('No API key: set DOPPEL_API_KEY, or run `npm run seed` for the demo key.');
  const form = new FormData();
  form.append('card', await readFile(cardPath, 'utf8'));
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((entry) => entry.isFile())) {
    const path = relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (path.split('/').some((part) => part.startsWith('.')) || /\.md$/i.test(path)) continue;
    form.append('file', await openAsBlob(join(folder, path)), path);
  }
  const response = await fetch(new URL('/hub/models', url), { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
  const body = (await response.json()) as { name?: string; version?: number; modelHash?: string; files?: unknown[]; code?: string; message?: string };
  if (!response.ok) throw new Error(`publish refused (${response.status} ${body.code}): ${body.message}`);
  console.log(`hub: published ${body.name}@${body.version} (${body.files?.length} files), model hash ${body.modelHash}`);
}
