// Long-term memory in pgvector. Every read and write is scoped to one persona AND one consumer.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import {
  checkedDimensions,
  cosineDistance,
  beforeTimeAndId,
  DATABASE,
  isUuid,
  keysetPage,
  toVectorParam,
  type Database,
  type MemoryKind,
} from '@doppel/db';
import { DoppelError, ErrorCode, sha256Hex, type MemoryView, type Page } from '@doppel/protocol';

export interface MemoryHit {
  id: string;
  kind: MemoryKind;
  content: string;
  contentHash: string;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
  createdAt: Date;
  /** The consumer pinned it: it enters every prompt, whatever the query. */
  pinned?: boolean;
}

export interface MemorySearch {
  personaId: string;
  consumerId: string;
  embeddingModel: string;
  embedding: Float32Array;
  limit: number;
  excludeSourceMessageIds?: string[];
}

export interface NewMemoryInput {
  personaId: string;
  consumerId: string;
  conversationId: string | null;
  sourceMessageId: string | null;
  kind: MemoryKind;
  content: string;
  embeddingModel: string;
  embedding: Float32Array;
  pinned?: boolean;
  /** False for a reply that was already outshone by a regenerated one when its memory was written. */
  inContext?: boolean;
}

@Injectable()
export class MemoryRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Top-k by cosine distance among the persona + consumer pair's memories: exact (the owner index finds the pair's
   * rows, a sort ranks them), which for one consumer's memories is faster than a filtered HNSW scan and never misses.
   */
  async search(query: MemorySearch): Promise<MemoryHit[]> {
    const distance = cosineDistance('embedding', query.embedding);
    let select = this.db
      .selectFrom('memories')
      .select(['id', 'kind', 'content', 'content_hash', 'created_at', 'pinned', distance.as('distance')])
      .where('persona_id', '=', query.personaId)
      .where('consumer_id', '=', query.consumerId)
      .where('embedding_model', '=', query.embeddingModel)
      .where('embedding_dims', '=', checkedDimensions(query.embedding.length))
      .where('in_context', '=', true);
    if (query.excludeSourceMessageIds?.length) {
      select = select.where((eb) =>
        eb.or([eb('source_message_id', 'is', null), eb('source_message_id', 'not in', query.excludeSourceMessageIds!)]),
      );
    }
    const rows = await select.orderBy(distance).limit(query.limit).execute();
    return rows.map(toMemoryHit).sort((a, b) => a.distance - b.distance);
  }

  /**
   * What a prompt remembers, in one query: the pinned memories (oldest first, at most `maxPinned`), then the `topK`
   * nearest of the others (nearest first), all of one persona + consumer pair.
   */
  async recall(query: RecallQuery): Promise<MemoryHit[]> {
    const { rows } = await recallStatement(query).execute(this.db);
    return rows.map(toMemoryHit);
  }

  /**
   * The same recall as one JSON array, for a statement of another repository to carry (the turn claim: one round
   * trip fewer per turn). The owner may be given as column references of that statement.
   */
  recallAsJson(query: RecallQuery): RawBuilder<unknown> {
    return sql`(SELECT coalesce(json_agg(hit ORDER BY hit.pinned DESC, hit.distance, hit.created_at, hit.id), '[]')
                  FROM (${recallStatement(query)}) AS hit)`;
  }

  /** Pins or unpins one of the consumer's memories; at most `maxPinned` per persona. Null when it is not theirs. */
  async setPinned(memoryId: string, consumerId: string, pinned: boolean): Promise<MemoryView | null> {
    if (!isUuid(memoryId)) return null;
    return this.db.transaction().execute(async (trx) => {
      const memory = await trx
        .selectFrom('memories')
        .select(['persona_id', 'pinned'])
        .where('id', '=', memoryId)
        .where('consumer_id', '=', consumerId)
        .forUpdate()
        .executeTakeFirst();
      if (!memory) return null;
      if (pinned && !memory.pinned) {
        const { count } = await trx
          .selectFrom('memories')
          .select(sql<string>`count(*)::text`.as('count'))
          .where('persona_id', '=', memory.persona_id)
          .where('consumer_id', '=', consumerId)
          .where('pinned', '=', true)
          .executeTakeFirstOrThrow();
        const limit = this.config.turns.maxPinnedMemories;
        if (Number(count) >= limit) {
          throw new DoppelError(ErrorCode.PinLimitReached, `You already pinned ${limit} memories for this persona; unpin one first.`, { limit });
        }
      }
      const row = await trx
        .updateTable('memories')
        .set({ pinned })
        .where('id', '=', memoryId)
        .returning(['id', 'kind', 'content', 'conversation_id', 'embedding_model', 'pinned', 'created_at'])
        .executeTakeFirstOrThrow();
      return { id: row.id, kind: row.kind, content: row.content, conversationId: row.conversation_id, embeddingModel: row.embedding_model, pinned: row.pinned, createdAt: row.created_at };
    });
  }

  /** The consumer's facts whose text starts with `prefix` (a fact slot's), for replacing a contradicted one. */
  async factsStartingWith(
    executor: Kysely<Database>,
    query: { personaId: string; consumerId: string; prefix: string },
  ): Promise<{ id: string; content: string; pinned: boolean }[]> {
    const pattern = `${query.prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    return executor
      .selectFrom('memories')
      .select(['id', 'content', 'pinned'])
      .where('persona_id', '=', query.personaId)
      .where('consumer_id', '=', query.consumerId)
      .where('kind', '=', 'fact')
      .where('content', 'like', pattern)
      .execute();
  }

  /** The facts remembered about the consumer within `maxDistance` (cosine) of the embedding, nearest first. */
  async similarFacts(
    executor: Kysely<Database>,
    query: { personaId: string; consumerId: string; embeddingModel: string; embedding: Float32Array; maxDistance: number; limit: number },
  ): Promise<string[]> {
    const distance = cosineDistance('embedding', query.embedding);
    const rows = await executor
      .selectFrom('memories')
      .select('content')
      .where('persona_id', '=', query.personaId)
      .where('consumer_id', '=', query.consumerId)
      .where('kind', '=', 'fact')
      .where('embedding_model', '=', query.embeddingModel)
      .where('embedding_dims', '=', checkedDimensions(query.embedding.length))
      .where(distance, '<=', query.maxDistance)
      .orderBy(distance)
      .limit(query.limit)
      .execute();
    return rows.map((row) => row.content);
  }

  async deleteByIds(executor: Kysely<Database>, ids: string[]): Promise<void> {
    if (ids.length > 0) await executor.deleteFrom('memories').where('id', 'in', ids).execute();
  }

  /** Inserts inside the caller's transaction, so memories commit together with the message they came from. */
  async insertMany(executor: Kysely<Database>, memories: NewMemoryInput[]): Promise<string[]> {
    if (memories.length === 0) return [];
    const rows = await executor
      .insertInto('memories')
      .values(
        memories.map((memory) => ({
          persona_id: memory.personaId,
          consumer_id: memory.consumerId,
          conversation_id: memory.conversationId,
          source_message_id: memory.sourceMessageId,
          kind: memory.kind,
          content: memory.content,
          content_hash: sha256Hex(memory.content),
          embedding_model: memory.embeddingModel,
          embedding_dims: checkedDimensions(memory.embedding.length),
          embedding: toVectorParam(memory.embedding),
          pinned: memory.pinned ?? false,
          in_context: memory.inContext ?? true,
        })),
      )
      // A regenerated reply answers a user message that is already remembered: keep the first memory of it.
      .onConflict((conflict) => conflict.columns(['source_message_id', 'kind']).where(sql<boolean>`kind IN ('user_message', 'assistant_reply')`).doNothing())
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * How many of the consumer's finished turns with this persona still have their memories to be written (they are
   * written after the reply, batched): a client that shows memories can look again shortly while this is above 0.
   */
  async pendingWrites(personaId: string, consumerId: string): Promise<number> {
    const { count } = await this.db
      .selectFrom('memory_backlog')
      .innerJoin('conversations', 'conversations.id', 'memory_backlog.conversation_id')
      .select(sql<string>`count(*)::text`.as('count'))
      .where('conversations.persona_id', '=', personaId)
      .where('conversations.consumer_id', '=', consumerId)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  /** A consumer's memories of one persona, newest first (what the persona remembers about them). */
  async listForConsumer(
    personaId: string,
    consumerId: string,
    options: { limit: number; before?: string; pinned?: boolean },
  ): Promise<Page<MemoryView>> {
    let query = this.db
      .selectFrom('memories')
      .select(['id', 'kind', 'content', 'conversation_id', 'embedding_model', 'pinned', 'created_at', sql<string>`created_at::text`.as('created_at_text')])
      .where('persona_id', '=', personaId)
      .where('consumer_id', '=', consumerId)
      .where('in_context', '=', true)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.pinned !== undefined) query = query.where('pinned', '=', options.pinned);
    if (options.before) query = query.where(beforeTimeAndId('created_at', 'id', options.before));
    const rows = await query.execute();
    return keysetPage(rows, options.limit, (row) => [row.created_at_text, row.id], (row) => ({
      id: row.id,
      kind: row.kind,
      content: row.content,
      conversationId: row.conversation_id,
      embeddingModel: row.embedding_model,
      pinned: row.pinned,
      createdAt: row.created_at,
    }));
  }

  /** Deletes one memory (its vector goes with the row); false when it is not this consumer's. */
  async deleteOne(memoryId: string, consumerId: string): Promise<boolean> {
    if (!isUuid(memoryId)) return false;
    const result = await this.db.deleteFrom('memories').where('id', '=', memoryId).where('consumer_id', '=', consumerId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Forgets everything one persona remembers about one consumer. */
  async deleteAllForConsumer(personaId: string, consumerId: string): Promise<number> {
    const result = await this.db.deleteFrom('memories').where('persona_id', '=', personaId).where('consumer_id', '=', consumerId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** An owner id, or a column of the statement the recall rides in (`sql.ref('turns.consumer_id')`). */
type OwnerValue = string | RawBuilder<unknown>;

export interface RecallQuery {
  personaId: OwnerValue;
  consumerId: OwnerValue;
  embeddingModel: string;
  embedding: Float32Array;
  maxPinned: number;
  topK: number;
}

type RecallRow = { id: string; kind: MemoryKind; content: string; content_hash: string; created_at: Date; pinned: boolean; distance: number };

function recallStatement(query: RecallQuery): RawBuilder<RecallRow> {
  const dims = sql.raw(String(checkedDimensions(query.embedding.length)));
  const vector = toVectorParam(query.embedding);
  const owner = sql`persona_id = ${query.personaId} AND consumer_id = ${query.consumerId} AND embedding_model = ${query.embeddingModel} AND in_context`;
  return sql<RecallRow>`
      (SELECT id, kind, content, content_hash, created_at, true AS pinned, 0::float8 AS distance
         FROM memories WHERE ${owner} AND pinned ORDER BY created_at, id LIMIT ${query.maxPinned})
      UNION ALL
      (SELECT id, kind, content, content_hash, created_at, false AS pinned,
              (embedding::vector(${dims})) <=> ${vector}::vector(${dims}) AS distance
         FROM memories WHERE ${owner} AND NOT pinned AND embedding_dims = ${dims} ORDER BY distance LIMIT ${query.topK})`;
}

/** Memories read back from `recallAsJson` (timestamps arrive as text). */
export function memoryHitsFromJson(rows: (Omit<RecallRow, 'created_at'> & { created_at: string })[]): MemoryHit[] {
  return rows.map((row) => toMemoryHit({ ...row, created_at: new Date(row.created_at) }));
}

function toMemoryHit(row: { id: string; kind: MemoryKind; content: string; content_hash: string; created_at: Date; pinned: boolean; distance: number }): MemoryHit {
  return { id: row.id, kind: row.kind, content: row.content, contentHash: row.content_hash, distance: Number(row.distance), createdAt: row.created_at, pinned: row.pinned };
}
