// prebuiltQuery on the real PostgreSQL: built once, then each run binds its own values (including an array), and a
// query that inlines an argument instead of binding it is refused before anything is sent.
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, prebuiltQuery, type Database } from '@doppel/db';

describe('prebuiltQuery', () => {
  const db: Kysely<Database> = createDatabase(inject('databaseUrl'), { maxConnections: 1 });
  afterAll(() => db.destroy());

  it('binds each run’s own values into the SQL built on the first run', async () => {
    let builds = 0;
    const numbersAbove = prebuiltQuery((floor: number, among: number[]) => {
      builds++;
      return db
        .selectFrom(sql<{ n: number }>`(SELECT generate_series(1, 10) AS n)`.as('numbers'))
        .select('n')
        .where('n', '>', floor)
        .where(sql<boolean>`n = ANY(${among}::int[])`)
        .where('n', '<', 10)
        .orderBy('n');
    });
    expect((await numbersAbove(db, 3, [2, 4, 6, 11])).map((row) => row.n)).toEqual([4, 6]);
    expect((await numbersAbove(db, 5, [1, 6, 9, 10])).map((row) => row.n)).toEqual([6, 9]);
    expect(builds).toBe(1);
    // A call short of an argument would leave its parameter unbound: refused before anything is sent.
    await expect((numbersAbove as (...args: unknown[]) => Promise<unknown>)(db, 3)).rejects.toThrow(/takes 2 arguments, got 1/);
  });

  it('refuses a query that writes an argument into its SQL instead of binding it', async () => {
    const inlined = prebuiltQuery((name: string) => db.selectFrom('accounts').select('id').where('display_name', '=', sql.lit(name)));
    await expect(inlined(db, 'Zed')).rejects.toThrow(/argument 0 of .* is not a bound parameter/);
  });
});
