import 'reflect-metadata';
import { loadConfig } from '@doppel/config';
import { runChat } from './chat.command';
import { runMigrate } from './migrate.command';
import { runSeed } from './seed.command';

const USAGE = `usage: doppel <command>
  migrate            create the database if needed and apply pending migrations
  seed               create the demo account and persona (idempotent)
  chat [message…]    chat with the demo persona (or --persona <id>) in the terminal`;

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'migrate':
      return runMigrate(loadConfig());
    case 'seed':
      return runSeed(loadConfig());
    case 'chat':
      return runChat(args);
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`doppel: ${(error as Error).message}`);
  process.exit(1);
});
