// A consumer's memories are theirs: listed only to them, deleted on request together with their vectors.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { memoriesSettled, testDatabase } from './support/database';
import { startStack, type Stack } from './support/processes';

describe('memory privacy and deletion', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  let personaId: string;
  let socket: ChatClient;

  const memoryCount = async (where: { consumerId: string; conversationId?: string }) => {
    let query = db.selectFrom('memories').select(sql<string>`count(*)::text`.as('count')).where('consumer_id', '=', where.consumerId).where('persona_id', '=', personaId);
    if (where.conversationId) query = query.where('conversation_id', '=', where.conversationId);
    return Number((await query.executeTakeFirstOrThrow()).count);
  };

  beforeAll(async () => {
    stack = await startStack(['node-p']);
    db = testDatabase();
    alice = await signUp(stack.url, 'Alice');
    bob = await signUp(stack.url, 'Bob');
    personaId = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Keeper' })).body.id;
    socket = await connectChat(stack.url, alice.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('lists only the caller’s memories of a persona, and deletes one, or all, with their vectors', async () => {
    const call = api(stack.url, alice.apiKey);
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    for (const text of ['I grow tomatoes on my balcony.', 'My bike is green.']) expect((await sendTurn(socket, { conversationId, text })).done).not.toBeNull();

    await memoriesSettled(db);
    const listed = await call('GET', `/personas/${personaId}/memories`);
    expect(listed.status).toBe(200);
    expect(listed.body.pendingWrites).toBe(0);
    expect(listed.body.items).toHaveLength(4);
    expect(listed.body.items.map((memory: { content: string }) => memory.content)).toContain('I grow tomatoes on my balcony.');
    expect((await api(stack.url, bob.apiKey)('GET', `/personas/${personaId}/memories`)).body.items).toEqual([]);

    const first = listed.body.items[0].id;
    expect((await api(stack.url, bob.apiKey)('DELETE', `/memories/${first}`))).toMatchObject({ status: 404, body: { code: ErrorCode.MemoryNotFound } });
    expect((await call('DELETE', `/memories/${first}`)).status).toBe(204);
    expect(await db.selectFrom('memories').select('id').where('id', '=', first).execute()).toEqual([]);
    expect(await memoryCount({ consumerId: alice.id })).toBe(3);

    expect((await call('DELETE', `/personas/${personaId}/memories`)).body).toEqual({ deleted: 3 });
    expect(await memoryCount({ consumerId: alice.id })).toBe(0);
  });

  it('deletes a conversation with its messages, turns, receipts and memories; others cannot', async () => {
    const call = api(stack.url, alice.apiKey);
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    expect((await sendTurn(socket, { conversationId, text: 'Remember my locker code is on a card.', verification: 'signed' })).done?.verification).not.toBeNull();
    await memoriesSettled(db);
    expect(await memoryCount({ consumerId: alice.id, conversationId })).toBe(2);

    expect(await api(stack.url, bob.apiKey)('DELETE', `/conversations/${conversationId}`)).toMatchObject({ status: 404, body: { code: ErrorCode.ConversationNotFound } });
    expect((await call('DELETE', `/conversations/${conversationId}`)).status).toBe(204);
    for (const table of ['messages', 'turns', 'memories'] as const) {
      const rows = await db.selectFrom(table).select('id').where('conversation_id', '=', conversationId).execute();
      expect(rows, table).toEqual([]);
    }
    const receipts = await sql<{ count: string }>`SELECT count(*)::text AS count FROM receipts r JOIN turns t ON t.id = r.turn_id WHERE t.conversation_id = ${conversationId}`.execute(db);
    expect(receipts.rows[0]!.count).toBe('0');
    expect((await call('GET', `/conversations/${conversationId}/messages`)).status).toBe(404);
  });
});
