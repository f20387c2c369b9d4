import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { createDatabase, type Database } from '@doppel/db';

/** A direct connection to the test database, for checking what the runtime stored. */
export function testDatabase(): Kysely<Database> {
  return createDatabase(inject('databaseUrl'), { maxConnections: 2 });
}
