import { AccountsRepository, AccountsService, type Role } from '@doppel/accounts';
import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';

/** `accounts create <name> [--operator]`: prints the new API key once. */
export async function runAccounts(config: AppConfig, args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const name = rest.filter((arg) => !arg.startsWith('--')).join(' ');
  if (subcommand !== 'create' || !name) throw new Error('usage: accounts create <display name> [--operator]');
  const roles: Role[] = rest.includes('--operator') ? ['consumer', 'creator', 'operator'] : ['consumer', 'creator'];
  const db = createDatabase(config.databaseUrl, { maxConnections: 1 });
  try {
    const account = await new AccountsService(new AccountsRepository(db)).create(name, roles);
    console.log(`account ${account.id} (${roles.join(', ')})`);
    console.log(`API key (shown once, stored only as a hash): ${account.apiKey}`);
  } finally {
    await db.destroy();
  }
}
