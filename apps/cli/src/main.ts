import 'reflect-metadata';
import { loadConfig } from '@doppel/config';
import { runAccounts } from './accounts.command';
import { runChat } from './chat.command';
import { runImport } from './import.command';
import { runMigrate } from './migrate.command';
import { runModels } from './models.command';
import { runOhttp } from './ohttp.command';
import { runEconomics } from './payouts.command';
import { runSeed } from './seed.command';

const USAGE = `usage: doppel <command>
  migrate            create the database if needed and apply pending migrations
  models [sync]      list registered models; sync registers built-in and shipped models (hashing their files)
  models try <id> [--seed N] <message…>   one generation, printed as JSON with its token ids
  models hub import <cards folder>   publish a folder of model cards to the hub (the seed catalogue)
  models hub publish <model folder> --card <card.md> [--url <gateway>]   upload a model to a running hub
  models hub reindex   embed the hub's cards again with the deployment's embedding model
  accounts create <name> [--operator]   create an account and print its API key once
  seed               create the demo account and persona (idempotent)
  chat [message…]    chat with the demo persona (or --persona <id>) in the terminal
                     --via-relay <URL> [--pin <sha256>] [--anonymous]: privately, through an Oblivious HTTP relay
  import <file> [--public]   import an ElizaOS character or a character card (JSON, PNG, CHARX) and print the report
  ohttp keygen [--id N]      a new Oblivious HTTP gateway key for OHTTP_KEYS and the hash clients pin (JSON)
  ohttp pins                 the pinned hashes of the keys in OHTTP_KEYS
  earnings meter | reconcile [--hours N]   meter served turns into the earnings ledger; check it against the turns
  payouts post [--every S] | claim [--to ADDRESS]   post the earnings Merkle root; claim this node's earnings`;

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'migrate':
      return runMigrate(loadConfig());
    case 'models':
      return runModels(loadConfig(), args);
    case 'accounts':
      return runAccounts(loadConfig(), args);
    case 'seed':
      return runSeed(loadConfig());
    case 'chat':
      return runChat(args);
    case 'import':
      return runImport(args);
    case 'ohttp':
      return runOhttp(args);
    case 'earnings':
    case 'payouts':
      return runEconomics(loadConfig(), command, args);
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`doppel: ${(error as Error).message}`);
  process.exit(1);
});
