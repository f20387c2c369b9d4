// A node that passes a turn's deadline stops generating at once: the consumer gets TURN_DEADLINE_EXCEEDED, and no
// token of the abandoned reply is written or stored afterwards.
import Redis from 'ioredis';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { turnStreamKey } from '@doppel/streaming';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, type Stack } from './support/processes';

const DEADLINE_MS = 1500;
const FIRST_TOKEN_MS = 3000;

describe('the turn deadline on a node', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let redis: Redis;
  let socket: ChatClient;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    stack = await startStack(['slow-node'], { TURN_DEADLINE_MS: String(DEADLINE_MS), SYNTHETIC_TTFT_MS: String(FIRST_TOKEN_MS) });
    db = testDatabase();
    redis = new Redis(inject('redisUrl'));
    const consumer = await signUp(stack.url, 'Patient');
    call = api(stack.url, consumer.apiKey);
    socket = await connectChat(stack.url, consumer.apiKey);
  });

  afterAll(async () => {
    socket?.disconnect();
    await stack?.stop();
    await db?.destroy();
    redis?.disconnect();
  });

  it('aborts generation at the deadline: an error, no tokens, nothing stored, even after the model would have answered', async () => {
    const personaId = (await call('POST', '/personas', { name: 'Slowpoke' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const result = await sendTurn(socket, { conversationId, text: 'Take your time.' });
    expect(result.error?.code).toBe(ErrorCode.TurnDeadlineExceeded);
    expect(result.tokens).toEqual([]);
    const turnId = (result.ack as { turnId: string }).turnId;

    // Past the moment the model would have produced its first token.
    await new Promise((resolve) => setTimeout(resolve, FIRST_TOKEN_MS + 500 - DEADLINE_MS));
    const entries = await redis.xrange(turnStreamKey(inject('redisPrefix'), turnId), '-', '+');
    const types = entries.map(([, fields]) => JSON.parse(fields[1]!).type as string);
    expect(types).not.toContain('token');
    expect(types).toContain('error');
    const turn = await db.selectFrom('turns').select(['status', 'error_code', 'assistant_message_id']).where('id', '=', turnId).executeTakeFirstOrThrow();
    expect(turn).toEqual({ status: 'failed', error_code: ErrorCode.TurnDeadlineExceeded, assistant_message_id: null });
  });
});
