// The worker's writes to `turns` (claim, complete, fail, fail overdue) and the reads that go with them: one
// statement where the turn path used several, since every round trip costs both ends CPU at thousands of turns.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { outshineShownReply } from '@doppel/conversations';
import { memoryHitsFromJson, type MemoryHit } from '@doppel/memory';
import { DATABASE, type Database, type TurnRow } from '@doppel/db';
import type { ErrorCode } from '@doppel/protocol';
import type { TurnTimestamps } from './turn-timings';

/** A turn this node now runs, with what the turn path needs to know before it embeds anything. */
export interface ClaimedTurn {
  turn: TurnRow;
  userText: string;
  userPosition: string;
  personaId: string;
  /** What {{user}} becomes in the persona's text. */
  consumerName: string;
  /** An earlier turn of this conversation finished but its memories are not written yet. */
  memoriesPending: boolean;
  /** The persona has knowledge chunks for this embedding model (no vector search otherwise). */
  hasKnowledge: boolean;
  /** Shown messages before the user's (at most the limit the claim was given), oldest first. */
  history: { role: 'user' | 'assistant'; content: string }[];
  /** The memories the claim recalled when it was given a recall (see claim), else null. */
  recalledMemories: MemoryHit[] | null;
}

export type ClaimResult = { claimed: ClaimedTurn } | { finished: TurnRow };

export interface CompletedTurnFields {
  replyText: string;
  modelId: string;
  modelHash: string;
  embeddingModelId: string;
  params: unknown;
  prompt: unknown;
  memoryIds: string[];
  knowledgeIds: string[];
  promptTokens: number;
  completionTokens: number;
  promptTokenIds: number[] | null;
  outputTokenIds: number[] | null;
  truncatedPromptTokens: number | null;
  retrievedAt: Date;
  firstTokenAt: Date;
  verificationMs: number | null;
  nodeAddress: string;
}

export interface NewReceipt {
  id: string;
  level: string;
  receipt: unknown;
  transcript: unknown;
  reexecStatus: 'matched' | 'mismatch' | null;
}

@Injectable()
export class TurnRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /**
   * Marks the turn running on this node (a retry after a crash takes it over) and returns it with its user message,
   * persona, consumer name and the conversation's recent history (read here rather than in a statement of its own:
   * one round trip fewer per turn), and with `recall` (MemoryRepository.recallAsJson over this statement's
   * `conversations.persona_id` and `turns.consumer_id`) the remembered memories too; or the stored turn when it
   * already finished.
   *
   * The claim commits without waiting for its WAL flush (`synchronous_commit` off for its own transaction): a
   * database crash in the next fraction of a second may lose it, and then the turn is simply queued again (see
   * isQueued); nothing a consumer saw depends on it. The intake and the record, which they do, wait for theirs.
   */
  async claim(turnId: string, workerId: string, embeddingModel: string, historyMaxMessages: number, recall?: RawBuilder<unknown>): Promise<ClaimResult> {
    const { rows } = await sql<
      TurnRow & {
        user_text: string;
        user_position: string;
        persona_id: string;
        consumer_name: string;
        memories_pending: boolean;
        has_knowledge: boolean;
        history: ClaimedTurn['history'];
        recalled: Parameters<typeof memoryHitsFromJson>[0] | null;
      }
    >`
      UPDATE turns SET
        status = 'running', worker_id = ${workerId}, attempts = turns.attempts + 1,
        started_at = coalesce(turns.started_at, clock_timestamp())
      FROM messages AS user_message, conversations, accounts, set_config('synchronous_commit', 'off', true) AS async_commit
      WHERE turns.id = ${turnId} AND turns.status IN ('queued', 'running')
        AND user_message.id = turns.user_message_id
        AND conversations.id = turns.conversation_id
        AND accounts.id = conversations.consumer_id
      RETURNING turns.*,
        user_message.content AS user_text, user_message.position::text AS user_position,
        conversations.persona_id, accounts.display_name AS consumer_name,
        EXISTS (SELECT 1 FROM memory_backlog WHERE memory_backlog.conversation_id = turns.conversation_id) AS memories_pending,
        EXISTS (SELECT 1 FROM knowledge_chunks WHERE knowledge_chunks.persona_id = conversations.persona_id
                  AND knowledge_chunks.embedding_model = ${embeddingModel}) AS has_knowledge,
        (SELECT coalesce(json_agg(json_build_object('role', recent.role, 'content', recent.content) ORDER BY recent.position), '[]')
           FROM (SELECT role, content, position FROM messages
                  WHERE conversation_id = turns.conversation_id AND position < user_message.position AND state = 'shown'
                  ORDER BY position DESC LIMIT ${historyMaxMessages}) AS recent) AS history,
        ${recall ?? sql`NULL`} AS recalled`.execute(this.db);
    const row = rows[0];
    if (!row) {
      const stored = await this.db.selectFrom('turns').selectAll().where('id', '=', turnId).executeTakeFirst();
      if (!stored) throw new Error(`turn ${turnId} does not exist`);
      return { finished: stored };
    }
    const { user_text, user_position, persona_id, consumer_name, memories_pending, has_knowledge, history, recalled, ...turn } = row;
    return {
      claimed: {
        turn: turn as TurnRow,
        userText: user_text,
        userPosition: user_position,
        personaId: persona_id,
        consumerName: consumer_name,
        memoriesPending: memories_pending,
        hasKnowledge: has_knowledge,
        history,
        recalledMemories: recalled ? memoryHitsFromJson(recalled) : null,
      },
    };
  }

  /**
   * Stores the reply and finishes the turn in one statement: the assistant message, the turn's record, the
   * conversation's last activity, the receipt, the memories it owes (memory_backlog), and for a regenerated reply the
   * earlier replies become alternatives (message-states.ts). The turn row is locked first and everything
   * hangs on it: when another node took the turn over meanwhile, nothing is stored and this returns null (that node's
   * attempt is the one that counts).
   */
  async complete(
    turn: Pick<TurnRow, 'id' | 'conversation_id' | 'consumer_id' | 'user_message_id' | 'kind'>,
    workerId: string,
    fields: CompletedTurnFields,
    receipt: NewReceipt | null,
  ): Promise<{ messageId: string; timestamps: TurnTimestamps } | null> {
    // The parts only some turns need are left out of the statement rather than switched off by a parameter: with a
    // parameter that decides whether a part runs, a plan made for the values at hand looks cheaper than the prepared
    // one, so PostgreSQL planned the statement afresh on most calls (~0.45 ms of its CPU each time).
    const outshone = turn.kind === 'regenerate' ? sql`, ${outshineShownReply(turn.user_message_id, sql`EXISTS (SELECT 1 FROM owned)`)}` : sql``;
    const stored = receipt
      ? sql`, receipt AS (
          INSERT INTO receipts (id, turn_id, message_id, consumer_id, level, receipt, transcript, reexec_status)
          SELECT ${receipt.id}::uuid, ${turn.id}, reply.id, ${turn.consumer_id}, ${receipt.level},
                 ${JSON.stringify(receipt.receipt)}::jsonb, ${JSON.stringify(receipt.transcript)}::jsonb, ${receipt.reexecStatus}
          FROM reply
        )`
      : sql``;
    const { rows } = await sql<TurnTimestamps & { assistant_message_id: string }>`
      WITH owned AS (
        SELECT id FROM turns WHERE id = ${turn.id} AND status = 'running' AND worker_id = ${workerId} FOR UPDATE
      ), reply AS (
        INSERT INTO messages (conversation_id, role, content, turn_id, reply_to)
        SELECT ${turn.conversation_id}, 'assistant', ${fields.replyText}, owned.id, ${turn.user_message_id} FROM owned
        RETURNING id
      ), touched AS (
        UPDATE conversations SET last_message_at = now() WHERE id = ${turn.conversation_id} AND EXISTS (SELECT 1 FROM owned)
      ), memories_owed AS (
        -- The memory batch deletes this row when it has written the turn's memories (MemoryWritesRepository).
        INSERT INTO memory_backlog (turn_id, conversation_id, embedding_model)
        SELECT owned.id, ${turn.conversation_id}, ${fields.embeddingModelId} FROM owned
      )${outshone}${stored}
      UPDATE turns SET
        status = 'done', assistant_message_id = (SELECT id FROM reply),
        model_id = ${fields.modelId}, model_hash = ${fields.modelHash}, embedding_model_id = ${fields.embeddingModelId},
        generation_params = ${JSON.stringify(fields.params)}::jsonb, prompt = ${JSON.stringify(fields.prompt)}::jsonb,
        retrieved_memory_ids = ${fields.memoryIds}::uuid[], retrieved_knowledge_ids = ${fields.knowledgeIds}::uuid[],
        prompt_tokens = ${fields.promptTokens}, completion_tokens = ${fields.completionTokens},
        prompt_token_ids = ${fields.promptTokenIds}::integer[], output_token_ids = ${fields.outputTokenIds}::integer[],
        truncated_prompt_tokens = ${fields.truncatedPromptTokens}, retrieved_at = ${fields.retrievedAt},
        first_token_at = ${fields.firstTokenAt}, verification_ms = ${fields.verificationMs},
        node_address = ${fields.nodeAddress}, finished_at = clock_timestamp()
      WHERE id = (SELECT id FROM owned)
      RETURNING assistant_message_id, queued_at, started_at, retrieved_at, first_token_at, finished_at`.execute(this.db);
    const finished = rows[0];
    if (!finished) return null;
    const { assistant_message_id: messageId, ...timestamps } = finished;
    return { messageId, timestamps };
  }

  /** The turn waits for a node: this node's claim of it was lost (a database crash after the claim) or never made. */
  async isQueued(turnId: string): Promise<boolean> {
    const row = await this.db.selectFrom('turns').select('status').where('id', '=', turnId).executeTakeFirst();
    return row?.status === 'queued';
  }

  /** Marks the turn failed unless it already finished; false when it had. */
  async fail(turnId: string, code: ErrorCode, message: string): Promise<boolean> {
    const result = await this.db
      .updateTable('turns')
      .set({ status: 'failed', error_code: code, error_message: message, finished_at: sql<Date>`clock_timestamp()` })
      .where('id', '=', turnId)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Fails every turn queued longer than the deadline that nobody finished; returns their ids. */
  async failOverdue(deadlineMs: number, code: ErrorCode, message: string): Promise<string[]> {
    const overdue = await this.db
      .updateTable('turns')
      .set({ status: 'failed', error_code: code, error_message: message, finished_at: sql<Date>`clock_timestamp()` })
      .where('finished_at', 'is', null) // queued or running, through turns_unfinished_idx
      .where('queued_at', '<', sql<Date>`now() - make_interval(secs => ${deadlineMs / 1000})`)
      .returning('id')
      .execute();
    return overdue.map((turn) => turn.id);
  }
}

