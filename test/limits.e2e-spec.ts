// Abuse limits: one turn in flight per conversation, turns and connections per minute per key, sockets per key.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { accountSocketsKey } from '@doppel/redis';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { startStack, waitFor, type Stack } from './support/processes';
import { withinOneRateWindow } from './support/rate-window';

describe('abuse limits', () => {
  let stack: Stack;
  const sockets: ChatClient[] = [];

  beforeAll(async () => {
    stack = await startStack(['node-l'], {
      RATE_TURNS_PER_MINUTE: '4',
      RATE_CONNECTIONS_PER_MINUTE: '4',
      MAX_SOCKETS_PER_KEY: '2',
      SYNTHETIC_TOKENS_PER_SECOND: '40',
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await stack?.stop();
  });

  const connectError = (url: string, key: string) =>
    connectChat(url, key).then(
      (socket) => {
        sockets.push(socket);
        return null;
      },
      (error: Error & { data?: { code: string; retryAfterSeconds: number } }) => error.data,
    );

  it('refuses a second turn while one is in flight in the same conversation, then accepts it', async () => {
    const user = await signUp(stack.url, 'Eager');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Busy' })).body.id;
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    const socket = await connectChat(stack.url, user.apiKey);
    sockets.push(socket);
    const first = sendTurn(socket, { conversationId, text: 'first' });
    // Once the first is accepted (two sends racing each other could be accepted in either order).
    await new Promise((resolve) => socket.once('turn:queued', resolve));
    const second = await sendRaw(socket, { conversationId, text: 'second, too soon', clientTurnId: randomUUID() });
    expect(second).toMatchObject({ ok: false, error: { code: ErrorCode.TurnInProgress, details: { retryAfterSeconds: 1 } } });
    expect((await first).done).not.toBeNull();
    expect((await sendTurn(socket, { conversationId, text: 'second, in time' })).done).not.toBeNull();
  });

  it('limits turns per minute per key, with retryAfterSeconds', async () => {
    await withinOneRateWindow();
    const user = await signUp(stack.url, 'Chatty');
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Patient' })).body.id;
    const conversations = await Promise.all(Array.from({ length: 5 }, async () => (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id));
    const socket = await connectChat(stack.url, user.apiKey);
    sockets.push(socket);
    const acks = [];
    for (const conversationId of conversations) acks.push(await sendRaw(socket, { conversationId, text: 'hi', clientTurnId: randomUUID() }));
    expect(acks.slice(0, 4).every((ack) => ack.ok)).toBe(true);
    expect(acks[4]).toMatchObject({ ok: false, error: { code: ErrorCode.RateLimited } });
    const retryAfter = (acks[4] as { error: { details: { retryAfterSeconds: number } } }).error.details.retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }, 60_000);

  it('limits open sockets and connections per minute per key', async () => {
    await withinOneRateWindow();
    const user = await signUp(stack.url, 'Many tabs');
    expect(await connectError(stack.url, user.apiKey)).toBeNull();
    expect(await connectError(stack.url, user.apiKey)).toBeNull();
    expect(await connectError(stack.url, user.apiKey)).toMatchObject({ code: ErrorCode.TooManySockets });
    sockets.pop()!.close();
    const redis = new Redis(inject('redisUrl'));
    await waitFor(async () => (await redis.zcard(accountSocketsKey(inject('redisPrefix'), user.id))) === 1, 'the gateway to release the closed socket');
    redis.disconnect();
    expect(await connectError(stack.url, user.apiKey)).toBeNull();
    const limited = await connectError(stack.url, user.apiKey);
    expect(limited).toMatchObject({ code: ErrorCode.RateLimited });
    expect(limited!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Another key is unaffected.
    const other = await signUp(stack.url, 'Neighbour');
    expect(await connectError(stack.url, other.apiKey)).toBeNull();
  }, 60_000);
});
