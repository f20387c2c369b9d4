import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { createDatabase, type Database } from '@doppel/db';

/** A direct connection to the test database, for checking what the runtime stored. */
export function testDatabase(): Kysely<Database> {
  return createDatabase(inject('databaseUrl'), { maxConnections: 2 });
}

/** Waits until every finished turn's memories are written: they are made after turn:done, batched across turns. */
export async function memoriesSettled(db: Kysely<Database>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await db.selectFrom('memory_backlog').select('turn_id').limit(1).execute();
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`memories of turn ${pending[0]!.turn_id} still unwritten after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether the turn's memories are still to be written (its row in memory_backlog). */
export async function owesMemories(db: Kysely<Database>, turnId: string): Promise<boolean> {
  const row = await db.selectFrom('memory_backlog').select('turn_id').where('turn_id', '=', turnId).executeTakeFirst();
  return row !== undefined;
}
