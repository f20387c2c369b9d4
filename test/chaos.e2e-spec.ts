// Failures while turns are in flight: a node killed mid-stream, a gateway killed mid-stream (the client resumes on
// another), and no node left at all. Invariant: every acknowledged turn ends done with exactly one assistant
// message, or failed with its error delivered; every client's reassembled text equals the stored message.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode, type TurnResumeAck, type TurnSendAck } from '@doppel/protocol';
import { api, connectChat, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startGateway, startStack, testEnv, waitFor, type Stack } from './support/processes';

/** Follows turns on a socket the way a careful client does: by seq, resetting on turn:restarted. */
class TurnTracker {
  readonly turns = new Map<string, { text: string; lastSeq: number; attempt: number; restarts: number; problems: string[]; done?: { text: string; messageId: string }; error?: { code: string } }>();

  attach(socket: ChatClient): void {
    socket.on('turn:token', (event) => {
      const turn = this.turns.get(event.turnId);
      if (!turn) return;
      if (event.seq !== turn.lastSeq + 1) turn.problems.push(`seq ${event.seq} after ${turn.lastSeq}`);
      turn.lastSeq = event.seq;
      turn.text += event.text;
    });
    socket.on('turn:restarted', (event) => {
      const turn = this.turns.get(event.turnId);
      if (!turn) return;
      turn.attempt = event.attempt;
      turn.restarts++;
      turn.text = '';
      turn.lastSeq = -1;
    });
    socket.on('turn:done', (event) => {
      const turn = this.turns.get(event.turnId);
      if (turn) turn.done = { text: event.text, messageId: event.messageId };
    });
    socket.on('turn:error', (event) => {
      const turn = this.turns.get(event.turnId);
      if (turn) turn.error = { code: event.code };
    });
  }

  send(socket: ChatClient, conversationId: string, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      socket.emit('turn:send', { conversationId, text, clientTurnId: randomUUID() }, (ack: TurnSendAck) => {
        if (!ack.ok) return reject(new Error(ack.error.message));
        this.turns.set(ack.turnId, { text: '', lastSeq: -1, attempt: 1, restarts: 0, problems: [] });
        resolve(ack.turnId);
      });
    });
  }

  get finished(): boolean {
    return [...this.turns.values()].every((turn) => turn.done || turn.error);
  }
}

async function assertInvariant(db: Kysely<Database>, tracker: TurnTracker): Promise<void> {
  for (const [turnId, seen] of tracker.turns) {
    const turn = await db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
    const replies = await db.selectFrom('messages').select(['id', 'content']).where('turn_id', '=', turnId).where('role', '=', 'assistant').execute();
    expect(seen.problems, `stream of ${turnId}`).toEqual([]);
    if (turn.status === 'done') {
      expect(replies).toHaveLength(1);
      expect(seen.done?.messageId).toBe(replies[0]!.id);
      expect(seen.text).toBe(replies[0]!.content);
      expect(seen.done?.text).toBe(replies[0]!.content);
    } else {
      expect(turn.status).toBe('failed');
      expect(replies).toEqual([]);
      expect(seen.error?.code).toBe(turn.error_code);
    }
  }
}

describe('chaos: a node dies mid-turn', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let socket: ChatClient;
  let conversations: string[];

  beforeAll(async () => {
    stack = await startStack(['node-1', 'node-2'], { TURN_LOCK_MS: '1500', SYNTHETIC_TOKENS_PER_SECOND: '25', WORKER_CONCURRENCY: '16' });
    db = testDatabase();
    const user = await signUp(stack.url, 'Chaos');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Survivor', generation: { maxTokens: 40 } })).body.id;
    conversations = await Promise.all(Array.from({ length: 24 }, async () => (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id));
    socket = await connectChat(stack.url, user.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await stack?.stop();
    await db?.destroy();
  });

  it('moves the killed node’s turns to the other node, which finishes them with no lost or duplicated text', async () => {
    const tracker = new TurnTracker();
    tracker.attach(socket);
    const turnIds = await Promise.all(conversations.map((conversationId, n) => tracker.send(socket, conversationId, `chaos turn ${n}`)));
    await waitFor(async () => {
      const running = await db.selectFrom('turns').select('id').where('id', 'in', turnIds).where('worker_id', '=', 'node-1').where('status', '=', 'running').execute();
      return running.length >= 2 && [...tracker.turns.values()].some((turn) => turn.lastSeq >= 1);
    }, 'node-1 to be streaming turns');
    stack.workers[0]!.child.kill('SIGKILL');

    await waitFor(async () => tracker.finished, 'every turn to finish', 30_000);
    await assertInvariant(db, tracker);
    const restarted = [...tracker.turns.values()].filter((turn) => turn.restarts > 0);
    expect(restarted.length).toBeGreaterThanOrEqual(2);
    const byNode = await db.selectFrom('turns').select(['worker_id', 'status', sql<string>`count(*)::text`.as('count')]).where('id', 'in', turnIds).groupBy(['worker_id', 'status']).execute();
    expect(byNode.every((row) => row.status === 'done')).toBe(true);
    expect(byNode.some((row) => row.worker_id === 'node-2')).toBe(true);
  }, 45_000);
});

describe('chaos: a gateway dies mid-stream and the client resumes on another', () => {
  let stack: Stack;
  let db: Kysely<Database>;

  beforeAll(async () => {
    stack = await startStack(['node-g'], { SYNTHETIC_TOKENS_PER_SECOND: '25', WORKER_CONCURRENCY: '16' });
    db = testDatabase();
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.destroy();
  });

  it('continues every stream from the last seq the client had, with no gap or repeat', async () => {
    const user = await signUp(stack.url, 'Roamer');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Steady', generation: { maxTokens: 40 } })).body.id;
    const conversations = await Promise.all(Array.from({ length: 24 }, async () => (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id));
    const first = await connectChat(stack.url, user.apiKey);
    const tracker = new TurnTracker();
    tracker.attach(first);
    await Promise.all(conversations.map((conversationId, n) => tracker.send(first, conversationId, `roaming ${n}`)));
    await waitFor(async () => [...tracker.turns.values()].filter((turn) => turn.lastSeq >= 2).length >= 12, 'streams to be under way');

    stack.gateway.child.kill('SIGKILL');
    const second = await startGateway(testEnv());
    const resumed = await connectChat(second.url, user.apiKey);
    tracker.attach(resumed);
    try {
      for (const [turnId, seen] of tracker.turns) {
        if (seen.done || seen.error) continue;
        const ack = await new Promise<TurnResumeAck>((resolve) => resumed.emit('turn:resume', { turnId, afterSeq: seen.lastSeq, attempt: seen.attempt }, resolve));
        expect(ack.ok).toBe(true);
      }
      await waitFor(async () => tracker.finished, 'every resumed turn to finish', 30_000);
      await assertInvariant(db, tracker);

      const stranger = await signUp(second.url, 'Stranger');
      const strangerSocket = await connectChat(second.url, stranger.apiKey);
      const [someTurn] = tracker.turns.keys();
      const denied = await new Promise<TurnResumeAck>((resolve) => strangerSocket.emit('turn:resume', { turnId: someTurn!, afterSeq: -1 }, resolve));
      expect(denied).toMatchObject({ ok: false, error: { code: ErrorCode.TurnNotFound } });
      strangerSocket.close();
    } finally {
      first.close();
      resumed.close();
      await second.stop();
    }
  }, 45_000);
});

describe('chaos: no node can finish a turn', () => {
  let stack: Stack;
  let db: Kysely<Database>;

  beforeAll(async () => {
    stack = await startStack(['node-last'], { TURN_DEADLINE_MS: '3000', TURN_LOCK_MS: '1000', SYNTHETIC_TOKENS_PER_SECOND: '10' });
    db = testDatabase();
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.destroy();
  });

  it('fails the turn at its deadline and tells the consumer, instead of leaving it pending', async () => {
    const user = await signUp(stack.url, 'Patient');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Fragile', generation: { maxTokens: 48 } })).body.id;
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    const socket = await connectChat(stack.url, user.apiKey);
    const tracker = new TurnTracker();
    tracker.attach(socket);
    const turnId = await tracker.send(socket, conversationId, 'this will not finish');
    await waitFor(async () => tracker.turns.get(turnId)!.lastSeq >= 0, 'the first chunk');
    stack.workers[0]!.child.kill('SIGKILL');
    await waitFor(async () => tracker.finished, 'the deadline to fail the turn', 15_000);
    expect(tracker.turns.get(turnId)!.error).toEqual({ code: ErrorCode.TurnDeadlineExceeded });
    await assertInvariant(db, tracker);
    socket.close();
  }, 30_000);
});
