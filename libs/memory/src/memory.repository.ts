// Long-term memory in pgvector. Every read and write is scoped to one persona AND one consumer.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DATABASE, decodeCursor, encodeCursor, isTimestampText, isUuid, toVectorLiteral, type Database, type MemoryKind } from '@doppel/db';
import { DoppelError, ErrorCode, sha256Hex } from '@doppel/protocol';

export interface MemoryHit {
  id: string;
  kind: MemoryKind;
  content: string;
  contentHash: string;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
  createdAt: Date;
}

export interface MemoryView {
  id: string;
  kind: MemoryKind;
  content: string;
  conversationId: string | null;
  embeddingModel: string;
  createdAt: Date;
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
}

@Injectable()
export class MemoryRepository {
  private iterativeScanSupported: Promise<boolean> | null = null;

  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Top-k by cosine distance through the HNSW index, filtered to the persona + consumer pair. */
  async search(query: MemorySearch): Promise<MemoryHit[]> {
    const iterative = await this.supportsIterativeScan();
    const vector = toVectorLiteral(query.embedding);
    // The cast to vector(N) and the embedding_dims filter let Postgres use that dimension's partial HNSW index.
    const dims = sql.raw(String(checkedDimensions(query.embedding.length)));
    const rows = await this.db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('hnsw.ef_search', ${String(this.config.turns.memoryEfSearch)}, true)`.execute(trx);
      // pgvector >= 0.8: keep scanning the graph until enough rows pass the persona/consumer filter.
      if (iterative) await sql`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)`.execute(trx);
      let select = trx
        .selectFrom('memories')
        .select(['id', 'kind', 'content', 'content_hash', 'created_at', sql<number>`(embedding::vector(${dims})) <=> ${vector}::vector(${dims})`.as('distance')])
        .where('embedding_dims', '=', query.embedding.length)
        .where('persona_id', '=', query.personaId)
        .where('consumer_id', '=', query.consumerId)
        .where('embedding_model', '=', query.embeddingModel);
      if (query.excludeSourceMessageIds?.length) {
        select = select.where((eb) =>
          eb.or([eb('source_message_id', 'is', null), eb('source_message_id', 'not in', query.excludeSourceMessageIds!)]),
        );
      }
      return select.orderBy(sql`(embedding::vector(${dims})) <=> ${vector}::vector(${dims})`).limit(query.limit).execute();
    });
    return rows
      .map((row) => ({
        id: row.id,
        kind: row.kind,
        content: row.content,
        contentHash: row.content_hash,
        distance: Number(row.distance),
        createdAt: row.created_at,
      }))
      .sort((a, b) => a.distance - b.distance);
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
          embedding: toVectorLiteral(memory.embedding),
        })),
      )
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /** A consumer's memories of one persona, newest first (what the persona remembers about them). */
  async listForConsumer(personaId: string, consumerId: string, options: { limit: number; before?: string }): Promise<{ items: MemoryView[]; nextCursor: string | null }> {
    let query = this.db
      .selectFrom('memories')
      .select(['id', 'kind', 'content', 'conversation_id', 'embedding_model', 'created_at', sql<string>`created_at::text`.as('created_at_text')])
      .where('persona_id', '=', personaId)
      .where('consumer_id', '=', consumerId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.before) {
      const position = decodeCursor(options.before, 2);
      if (!position || !isTimestampText(position[0]) || !isUuid(position[1])) {
        throw new DoppelError(ErrorCode.ValidationFailed, 'The cursor is not one this API issued.');
      }
      query = query.where(sql<boolean>`(created_at, id) < (${position[0]}::timestamptz, ${position[1]}::uuid)`);
    }
    const rows = await query.execute();
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({ id: row.id, kind: row.kind, content: row.content, conversationId: row.conversation_id, embeddingModel: row.embedding_model, createdAt: row.created_at })),
      nextCursor: rows.length > options.limit && last ? encodeCursor([last.created_at_text, last.id]) : null,
    };
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

  private supportsIterativeScan(): Promise<boolean> {
    this.iterativeScanSupported ??= sql<{ extversion: string }>`SELECT extversion FROM pg_extension WHERE extname = 'vector'`
      .execute(this.db)
      .then(({ rows }) => {
        const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0.0').split('.').map(Number);
        return major > 0 || minor >= 8;
      });
    return this.iterativeScanSupported;
  }
}

function checkedDimensions(dimensions: number): number {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new RangeError(`an embedding has ${dimensions} dimensions`);
  return dimensions;
}
