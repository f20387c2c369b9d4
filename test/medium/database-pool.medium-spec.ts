// The pool behind every repository: a query that cannot get a connection in time is refused as overload (retryable,
// with a retry time), and only that — a database that cannot be reached stays an error of its own.
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';

describe('the database pool', () => {
  const db = createDatabase(inject('databaseUrl'), { maxConnections: 1, connectionWaitMs: 200 });
  afterAll(() => db.destroy());

  it('refuses a query with OVERLOADED when every connection stays busy past the wait', async () => {
    const holding = sql`select pg_sleep(1)`.execute(db);
    const refused = await sql`select 1`.execute(db).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DoppelError);
    expect(refused).toMatchObject({ code: ErrorCode.Overloaded, details: { retryAfterSeconds: 2 } });
    expect((refused as Error).message).toMatch(/database is saturated/);
    await holding;
    // The pool serves again once a connection is free.
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it('survives the server ending an idle connection, and serves the next query on a new one', async () => {
    const lossy = createDatabase(inject('databaseUrl'), { maxConnections: 1 });
    const admin = createDatabase(inject('databaseUrl'), { maxConnections: 1 });
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(lossy);
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(admin);
      // Without a listener the pool's 'error' event would end this process here.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(lossy);
      expect(after.rows[0]!.pid).not.toBe(rows[0]!.pid);
    } finally {
      await Promise.all([lossy.destroy(), admin.destroy()]);
    }
  });

  it('keeps a failed connect its own error, not overload', async () => {
    const unreachable = createDatabase('postgres://postgres@127.0.0.1:1/nowhere', { maxConnections: 1, connectionWaitMs: 200 });
    const error = await sql`select 1`.execute(unreachable).catch((failure: unknown) => failure);
    await unreachable.destroy();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DoppelError);
  });
});
