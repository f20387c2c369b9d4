// Graceful shutdown and a Redis restart while turns are in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import type { TurnSendAck } from '@doppel/protocol';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, waitFor, type Stack } from './support/processes';

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('graceful shutdown', () => {
  let stack: Stack;
  let db: Kysely<Database>;

  beforeAll(async () => {
    stack = await startStack(['node-term'], { SYNTHETIC_TOKENS_PER_SECOND: '20' });
    db = testDatabase();
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.destroy();
  });

  it('a worker given SIGTERM finishes the turns it holds and exits 0; so does the gateway', async () => {
    const user = await signUp(stack.url, 'Leaver');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Closing', generation: { maxTokens: 30 } })).body.id;
    const conversations = await Promise.all(Array.from({ length: 3 }, async () => (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id));
    const socket = await connectChat(stack.url, user.apiKey);
    const firstChunks = new Set<string>();
    socket.on('turn:token', (event) => firstChunks.add(event.turnId));
    const turns = conversations.map((conversationId, n) => sendTurn(socket, { conversationId, text: `last orders ${n}` }));
    await waitFor(async () => firstChunks.size === 3, 'all three turns to be streaming');

    const worker = stack.workers[0]!.child;
    worker.kill('SIGTERM');
    const results = await Promise.all(turns);
    for (const result of results) {
      expect(result.done).not.toBeNull();
      expect(result.tokens.map((token) => token.text).join('')).toBe(result.done!.text);
    }
    expect(await exitOf(worker)).toEqual({ code: 0, signal: null });
    const rows = await db.selectFrom('turns').select(['status', 'attempts']).where('conversation_id', 'in', conversations).execute();
    expect(rows.every((row) => row.status === 'done' && row.attempts === 1)).toBe(true);

    socket.close();
    const gateway = stack.gateway.child;
    gateway.kill('SIGTERM');
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe('Redis restarts while turns are in flight', () => {
  let redis: ChildProcess;
  let port: number;
  let stack: Stack;
  let db: Kysely<Database>;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(async () => {
      const { default: Redis } = await import('ioredis');
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 'the test Redis to start');
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    stack = await startStack(['node-r1', 'node-r2'], {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      SYNTHETIC_TOKENS_PER_SECOND: '20',
      TURN_DEADLINE_MS: '6000',
      TURN_LOCK_MS: '1500',
    });
    db = testDatabase();
  }, 30_000);

  afterAll(async () => {
    await stack?.stop();
    redis?.kill('SIGKILL');
    await db?.destroy();
  });

  it('ends every acknowledged turn done or failed with the error delivered, then serves new turns', async () => {
    const user = await signUp(stack.url, 'Unlucky');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Weathered', generation: { maxTokens: 40 } })).body.id;
    const conversations = await Promise.all(Array.from({ length: 24 }, async () => (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id));
    const socket: ChatClient = await connectChat(stack.url, user.apiKey);
    const outcome = new Map<string, { done?: string; error?: string }>();
    socket.on('turn:done', (event) => outcome.set(event.turnId, { done: event.text }));
    socket.on('turn:error', (event) => outcome.set(event.turnId, { error: event.code }));
    const turnIds = await Promise.all(
      conversations.map(
        (conversationId, n) =>
          new Promise<string>((resolve, reject) =>
            socket.emit('turn:send', { conversationId, text: `storm ${n}`, clientTurnId: randomUUID() }, (ack: TurnSendAck) => (ack.ok ? resolve(ack.turnId) : reject(new Error(ack.error.message)))),
          ),
      ),
    );
    await waitFor(async () => (await db.selectFrom('turns').select('id').where('id', 'in', turnIds).where('status', '=', 'running').execute()).length >= 2, 'turns to be running');

    redis.kill('SIGKILL');
    await exitOf(redis);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a brief outage, on purpose
    await startRedis();

    await waitFor(async () => turnIds.every((turnId) => outcome.has(turnId)), 'every turn to end with done or error', 30_000);
    for (const turnId of turnIds) {
      const row = await db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
      const replies = await db.selectFrom('messages').select('content').where('turn_id', '=', turnId).where('role', '=', 'assistant').execute();
      const seen = outcome.get(turnId)!;
      if (row.status === 'done') {
        expect(replies.map((reply) => reply.content)).toEqual([seen.done]);
      } else {
        expect(row.status).toBe('failed');
        expect(replies).toEqual([]);
        expect(seen.error).toBe(row.error_code);
      }
    }

    await waitFor(async () => (await fetch(`${stack.url}/health/ready`)).status === 200, 'the stack to be ready again', 15_000);
    const fresh = await api(stack.url, user.apiKey)('POST', '/conversations', { personaId });
    const after = await sendTurn(socket, { conversationId: fresh.body.id, text: 'calm again?' });
    expect(after.done).not.toBeNull();
    socket.close();
  }, 60_000);
});
