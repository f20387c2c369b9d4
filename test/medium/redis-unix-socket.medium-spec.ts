// A Redis on the same machine reached over its Unix socket (REDIS_URL=unix:///path/to/redis.sock): the runtime's
// command connections, BullMQ's queue and worker, and the load harness's statistics all use it. The test starts its
// own redis-server listening on a socket only (no TCP port), so nothing here can silently fall back to TCP.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, createRedis, unixSocketOf } from '@doppel/redis';
import { ServerStatsReader } from '../../loadtest/src/server-stats';

describe('Redis over a Unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doppel-redis-sock-'));
  const socket = join(dir, 'redis.sock');
  const url = `unix://${socket}`;
  const config = { url, prefix: 'socktest', clusterNodes: null };
  let server: ChildProcess;

  beforeAll(async () => {
    server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let tries = 0; tries < 100 && !existsSync(socket); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!existsSync(socket)) throw new Error(`redis-server did not open ${socket} in 5 s; is redis-server (>= 7) installed? run scripts/provision.sh`);
  });
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the path and database from the URL, and leaves TCP URLs alone', () => {
    expect(unixSocketOf('unix:///run/redis/redis.sock?db=3')).toEqual({ path: '/run/redis/redis.sock', db: 3 });
    expect(unixSocketOf('redis://127.0.0.1:6379')).toBeNull();
  });

  it('serves the runtime connection and a BullMQ job round trip', async () => {
    const redis = createRedis(config);
    const bull = bullConnection(config);
    const queue = new Queue('sock-jobs', { connection: bull.connection, prefix: 'socktest' });
    let worker: Worker | undefined;
    try {
      await redis.set('socktest:probe', 'over the socket');
      expect(await redis.get('socktest:probe')).toBe('over the socket');
      expect(String(await redis.config('GET', 'port').then((reply) => (reply as string[])[1]))).toBe('0');

      const done = new Promise<number>((resolve) => {
        worker = new Worker('sock-jobs', async (job) => (job.data as { n: number }).n * 2, { connection: bull.connection, prefix: 'socktest' });
        worker.on('completed', (_job, result: number) => resolve(result));
      });
      await queue.add('double', { n: 21 });
      expect(await done).toBe(42);
      // The queue lives on the socket's server, not on a Redis BullMQ might have fallen back to over TCP.
      expect((await redis.keys('socktest:sock-jobs:*')).length).toBeGreaterThan(0);
    } finally {
      await worker?.close();
      await queue.close();
      await bull.close();
      redis.disconnect();
    }
  });

  it("gives the load harness Redis's command counts", async () => {
    const reader = new ServerStatsReader({ redis: url });
    await reader.start();
    const redis = createRedis(config);
    for (let index = 0; index < 30; index++) await redis.incr('socktest:counter');
    redis.disconnect();
    const stats = await reader.finish(10);
    expect(stats?.errors).toEqual([]);
    // This server is the test's own: exactly what the test sent, 30 INCR over 10 "turns".
    expect(stats!.redis!.commands.find((command) => command.command === 'incr')!.callsPerTurn).toBeCloseTo(3, 5);
  });
});
