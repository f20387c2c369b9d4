// The load harness's server statistics (--redis-stats, --pg-stats) read from the real Redis and PostgreSQL: what a
// stretch of known work did, per "turn", counted between two readings.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ServerStatsReader } from '../../loadtest/src/server-stats';

describe('ServerStatsReader', () => {
  const key = `${inject('redisPrefix')}:server-stats:${randomBytes(4).toString('hex')}`;
  const table = `server_stats_${randomBytes(4).toString('hex')}`;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    const client = new Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    await client.end();
  });
  afterAll(async () => {
    await redis.del(key, `${key}:stream`);
    redis.disconnect();
    const client = new Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it("counts Redis's commands and PostgreSQL's commits and WAL done between start and finish, per turn", async () => {
    const reader = new ServerStatsReader({ redis: inject('redisUrl'), postgres: inject('databaseUrl') });
    await reader.start();

    for (let index = 0; index < 40; index++) await redis.incr(key);
    for (let index = 0; index < 10; index++) await redis.xadd(`${key}:stream`, '*', 'n', String(index));
    const client = new Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    for (let index = 0; index < 20; index++) await client.query(`INSERT INTO ${table} (note) VALUES ($1)`, [`row ${index}`]);
    // A backend reports its counters when it ends (or at most once a second while it works).
    await client.end();

    const stats = await reader.finish(10);
    expect(stats?.errors).toEqual([]);
    const incr = stats!.redis!.commands.find((command) => command.command === 'incr');
    const xadd = stats!.redis!.commands.find((command) => command.command === 'xadd');
    // Others may share the server (a suite elsewhere): at least what this test sent, per turn of 10.
    expect(incr!.callsPerTurn).toBeGreaterThanOrEqual(4);
    expect(xadd!.callsPerTurn).toBeGreaterThanOrEqual(1);
    expect(incr!.usPerTurn).toBeGreaterThan(0);

    const postgres = stats!.postgres!;
    expect(postgres.commitsPerTurn).toBeGreaterThanOrEqual(2);
    // Each insert is its own transaction: a WAL record for its row and one for its commit, at least.
    expect(postgres.walRecordsPerTurn).toBeGreaterThanOrEqual(4);
    expect(postgres.walBytesPerTurn).toBeGreaterThan(0);
    // The test database has no pg_stat_statements; the statistics say so instead of failing.
    expect(postgres.statements).toMatch(/pg_stat_statements/);
  });

  it('records a server it cannot read as an error, and still reads the other', async () => {
    const reader = new ServerStatsReader({ redis: inject('redisUrl'), postgres: 'postgres://postgres@127.0.0.1:1/nothing' });
    await reader.start();
    await redis.incr(key);
    const stats = await reader.finish(1);
    expect(stats!.redis!.commands.some((command) => command.command === 'incr')).toBe(true);
    expect(stats!.postgres).toBeUndefined();
    expect(stats!.errors).toHaveLength(1);
    expect(stats!.errors[0]).toMatch(/^PostgreSQL: /);
  });
});
