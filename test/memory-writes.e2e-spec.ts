// Memories are made after turn:done, off the critical path (issue 12). Two promises keep that correct: what turn N
// remembered is in turn N+1's prompt even when N's batch has not been written yet, and a node killed between
// turn:done and its memory batch loses nothing (another node's sweep writes it).
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { api, connectChat, sendTurn, signUp, type ChatClient, type TurnResult } from './support/clients';
import { owesMemories, testDatabase } from './support/database';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

// A batch that would only be written a minute after the reply, and no sweep in that time: what the tests see
// written was written by the path under test.
const NEVER_IN_THIS_TEST = { MEMORY_WRITE_BATCH_MS: '60000', MEMORY_SWEEP_INTERVAL_MS: '600000' };

describe('memories written after the reply', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let socket: ChatClient;
  let call: ReturnType<typeof api>;
  let personaId: string;
  const sweeper: RunningProcess[] = [];

  const turnIdOf = (result: TurnResult) => {
    if (!result.ack.ok) throw new Error(`turn refused: ${JSON.stringify(result.ack.error)}`);
    expect(result.done, 'turn finished').not.toBeNull();
    return result.ack.turnId;
  };
  const turnRow = (turnId: string) => db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow();
  const memoriesOfMessage = (messageId: string) =>
    db.selectFrom('memories').select(['id', 'kind', 'content']).where('source_message_id', '=', messageId).orderBy('kind').execute();

  beforeAll(async () => {
    stack = await startStack(['memory-node'], NEVER_IN_THIS_TEST);
    db = testDatabase();
    const consumer = await signUp(stack.url, 'Zed');
    call = api(stack.url, consumer.apiKey);
    personaId = (await call('POST', '/personas', { name: 'Mnemosyne', greeting: 'Tell me anything.' })).body.id;
    socket = await connectChat(stack.url, consumer.apiKey);
  });

  afterAll(async () => {
    socket?.disconnect();
    await Promise.all(sweeper.map((worker) => worker.stop()));
    await stack?.stop();
    await db?.destroy();
  });

  it("puts turn N's memories in turn N+1's prompt, writing them first when N's batch is still pending", async () => {
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id as string;
    const first = turnIdOf(await sendTurn(socket, { conversationId, text: 'My name is Zed and I live in Lisbon.' }));
    const firstRow = await turnRow(first);
    // turn:done came before any memory of it was written.
    expect(await owesMemories(db, first)).toBe(true);
    expect(await memoriesOfMessage(firstRow.user_message_id)).toEqual([]);

    const second = turnIdOf(await sendTurn(socket, { conversationId, text: 'What do you remember about me?' }));
    const written = await memoriesOfMessage(firstRow.user_message_id);
    expect(written.map((memory) => memory.kind)).toEqual(['fact', 'fact', 'user_message']);
    expect(await owesMemories(db, first)).toBe(false);
    // The second prompt retrieved them: by id on the turn, and as text in the stored prompt.
    const secondRow = await turnRow(second);
    expect(secondRow.retrieved_memory_ids).toEqual(expect.arrayContaining(written.map((memory) => memory.id)));
    expect(JSON.stringify(secondRow.prompt)).toContain('Their name is Zed.');
  });

  it('loses no memory when the node is killed between turn:done and its batch: another node sweeps it', async () => {
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id as string;
    const turnId = turnIdOf(await sendTurn(socket, { conversationId, text: 'My favourite colour is teal.' }));
    const row = await turnRow(turnId);
    expect(await owesMemories(db, turnId)).toBe(true);

    stack.workers[0]!.child.kill('SIGKILL');
    await waitFor(async () => stack.workers[0]!.child.exitCode !== null || stack.workers[0]!.child.signalCode !== null, 'the node to die');
    expect(await owesMemories(db, turnId)).toBe(true);

    sweeper.push(await startWorker('memory-sweeper', testEnv({ MEMORY_SWEEP_INTERVAL_MS: '200', MEMORY_SWEEP_MIN_AGE_MS: '100' })));
    await waitFor(async () => !(await owesMemories(db, turnId)), 'the sweep to write the orphaned memories');
    const memories = await memoriesOfMessage(row.user_message_id);
    expect(memories.map((memory) => [memory.kind, memory.content])).toEqual([
      ['fact', 'Their favorite colour is teal.'],
      ['user_message', 'My favourite colour is teal.'],
    ]);
    expect(await memoriesOfMessage(row.assistant_message_id!)).toHaveLength(1);
  });
});
