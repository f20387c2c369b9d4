// The statistics ANALYZE keeps for the turn path's growing tables (migration 0023_sampled_statistics.sql): a sample
// of 3,000 rows, no statistics for payload columns. Autovacuum re-analyzes these tables every minute under load.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import { PersonasService } from '@doppel/personas';
import { mediumTest, seedAccount, seedFinishedTurn, type Medium } from '../support/medium';

const SAMPLED_TABLES = ['turns', 'messages', 'memories'];
const PAYLOAD_COLUMNS: Record<string, string[]> = {
  turns: ['prompt', 'generation_params', 'retrieved_memory_ids', 'retrieved_knowledge_ids', 'prompt_token_ids', 'output_token_ids', 'error_message'],
  messages: ['content'],
  memories: ['content', 'embedding'],
};

describe('table statistics', () => {
  let m: Medium;

  beforeAll(async () => {
    m = await mediumTest({ name: 'table-statistics', imports: [ConversationsModule] });
  });
  afterAll(async () => m?.close());

  it('gives every column of the sampled tables its own target, so none brings back the 30,000-row sample', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; target: number }>`
      SELECT attrelid::regclass::text AS table_name, attname AS column_name, attstattarget AS target
      FROM pg_attribute
      WHERE attrelid = ANY(${SAMPLED_TABLES}::regclass[]) AND attnum > 0 AND NOT attisdropped`.execute(m.db);
    const atDefault = rows.filter((row) => row.target < 0).map((row) => `${row.table_name}.${row.column_name}`);
    expect(atDefault, `give these columns a statistics target in a migration (see 0023_sampled_statistics.sql): ${atDefault.join(', ')}`).toEqual([]);
    expect(Math.max(...rows.map((row) => row.target))).toBe(10);
  });

  it('keeps statistics for the keys after ANALYZE and none for the payload', async () => {
    const consumerId = await seedAccount(m.db);
    const personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada', greeting: 'Hello {{user}}.' })).id;
    const conversation = await m.get(ConversationsService).create(consumerId, personaId);
    for (let index = 0; index < 3; index++) {
      const { replyId } = await seedFinishedTurn(m.db, {
        conversationId: conversation.id,
        consumerId,
        userText: `question ${index}`,
        replyText: `answer ${index}`,
        done: { prompt: JSON.stringify({ messages: [] }) },
      });
      await sql`
        INSERT INTO memories (persona_id, consumer_id, conversation_id, source_message_id, kind, content, content_hash, embedding_model, embedding, embedding_dims)
        VALUES (${personaId}, ${consumerId}, ${conversation.id}, ${replyId}, 'assistant_reply', ${`answer ${index}`}, ${String(index).repeat(64)},
                'test-embed', ${`[${index}, 1, 0]`}::vector, 3)`.execute(m.db);
    }
    await sql`ANALYZE turns, messages, memories`.execute(m.db);

    const { rows } = await sql<{ tablename: string; attname: string }>`
      SELECT tablename, attname FROM pg_stats WHERE schemaname = 'public' AND tablename = ANY(${SAMPLED_TABLES})`.execute(m.db);
    const analyzed = (table: string) => rows.filter((row) => row.tablename === table).map((row) => row.attname);
    expect(analyzed('messages')).toEqual(expect.arrayContaining(['conversation_id', 'role', 'turn_id']));
    expect(analyzed('turns')).toEqual(expect.arrayContaining(['conversation_id', 'status', 'user_message_id']));
    expect(analyzed('memories')).toEqual(expect.arrayContaining(['persona_id', 'consumer_id', 'kind']));
    for (const table of SAMPLED_TABLES) {
      expect(analyzed(table).filter((column) => PAYLOAD_COLUMNS[table]!.includes(column))).toEqual([]);
    }
  });
});
