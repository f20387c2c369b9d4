// Persona knowledge in Postgres + pgvector: documents (what the creator uploaded) and their embedded chunks.
// Chunks belong to a persona, never to a consumer; every search filters on persona and embedding model.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Selectable } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { checkedDimensions, cosineDistance, DATABASE, isUuid, supportsIterativeScan, toVectorParam, tuneHnswSearch, type Database, type KnowledgeDocumentsTable, type KnowledgeMediaType, type KnowledgeStatus } from '@doppel/db';
import { sha256Hex, type KnowledgeDocumentView } from '@doppel/protocol';

export type { KnowledgeDocumentView };

export interface KnowledgeDocument extends KnowledgeDocumentView {
  content: string;
}

export interface KnowledgeContent {
  title: string;
  mediaType: KnowledgeMediaType;
  content: string;
}

export interface KnowledgeHit {
  /** The chunk's id. */
  id: string;
  documentId: string;
  documentTitle: string;
  content: string;
  contentHash: string;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

export interface KnowledgeSearch {
  personaId: string;
  embeddingModel: string;
  embedding: Float32Array;
  limit: number;
}

export interface EmbeddedChunk {
  content: string;
  embedding: Float32Array;
}

const VIEW_COLUMNS = [
  'id',
  'persona_id',
  'title',
  'media_type',
  'bytes',
  'content_hash',
  'revision',
  'status',
  'error',
  'indexed_revision',
  'chunk_count',
  'embedding_model',
  'created_at',
  'updated_at',
] as const;

@Injectable()
export class KnowledgeRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(personaId: string, input: KnowledgeContent, embeddingModel: string): Promise<KnowledgeDocumentView> {
    const row = await this.db
      .insertInto('knowledge_documents')
      .values({ persona_id: personaId, ...contentColumns(input), embedding_model: embeddingModel })
      .returning(VIEW_COLUMNS)
      .executeTakeFirstOrThrow();
    return toView(row);
  }

  /** New content is a new revision (pending); the chunks of the previous one keep serving until it is indexed. */
  async replaceContent(personaId: string, documentId: string, input: KnowledgeContent, embeddingModel: string): Promise<KnowledgeDocumentView | null> {
    if (!isUuid(documentId)) return null;
    const row = await this.db
      .updateTable('knowledge_documents')
      .set({ ...contentColumns(input), embedding_model: embeddingModel, revision: sql<number>`revision + 1`, status: 'pending', error: null })
      .where('id', '=', documentId)
      .where('persona_id', '=', personaId)
      .returning(VIEW_COLUMNS)
      .executeTakeFirst();
    return row ? toView(row) : null;
  }

  async list(personaId: string): Promise<KnowledgeDocumentView[]> {
    const rows = await this.db.selectFrom('knowledge_documents').select(VIEW_COLUMNS).where('persona_id', '=', personaId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toView);
  }

  async get(personaId: string, documentId: string): Promise<KnowledgeDocument | null> {
    if (!isUuid(documentId)) return null;
    const row = await this.db
      .selectFrom('knowledge_documents')
      .select([...VIEW_COLUMNS, 'content'])
      .where('id', '=', documentId)
      .where('persona_id', '=', personaId)
      .executeTakeFirst();
    return row ? { ...toView(row), content: row.content } : null;
  }

  /** The document as it is now, for the indexing job (which then checks the revision is still the one it was asked for). */
  async getForIndexing(documentId: string): Promise<KnowledgeDocument | null> {
    const row = await this.db.selectFrom('knowledge_documents').select([...VIEW_COLUMNS, 'content']).where('id', '=', documentId).executeTakeFirst();
    return row ? { ...toView(row), content: row.content } : null;
  }

  /** Deletes the document; its chunks go with it (ON DELETE CASCADE), so no later prompt can use them. */
  async delete(personaId: string, documentId: string): Promise<boolean> {
    if (!isUuid(documentId)) return false;
    const result = await this.db.deleteFrom('knowledge_documents').where('id', '=', documentId).where('persona_id', '=', personaId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Swaps the document's chunks for those of `revision`, in one transaction, only while `revision` is still the
   * document's current one: a late job for an older upload never overwrites a newer one. Returns false when stale.
   */
  async replaceChunks(documentId: string, revision: number, embeddingModel: string, chunks: readonly EmbeddedChunk[]): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const document = await trx
        .selectFrom('knowledge_documents')
        .select(['persona_id'])
        .where('id', '=', documentId)
        .where('revision', '=', revision)
        .forUpdate()
        .executeTakeFirst();
      if (!document) return false;
      await trx.deleteFrom('knowledge_chunks').where('document_id', '=', documentId).execute();
      if (chunks.length > 0) {
        await trx
          .insertInto('knowledge_chunks')
          .values(
            chunks.map((chunk, ordinal) => ({
              document_id: documentId,
              persona_id: document.persona_id,
              revision,
              ordinal,
              content: chunk.content,
              content_hash: sha256Hex(chunk.content),
              embedding_model: embeddingModel,
              embedding_dims: checkedDimensions(chunk.embedding.length),
              embedding: toVectorParam(chunk.embedding),
            })),
          )
          .execute();
      }
      await trx
        .updateTable('knowledge_documents')
        .set({ status: 'ready', error: null, indexed_revision: revision, chunk_count: chunks.length, embedding_model: embeddingModel })
        .where('id', '=', documentId)
        .execute();
      return true;
    });
  }

  /** Records why indexing failed, unless a newer revision has been uploaded meanwhile. Chunks already serving stay. */
  async markFailed(documentId: string, revision: number, error: string): Promise<void> {
    await this.db.updateTable('knowledge_documents').set({ status: 'failed', error }).where('id', '=', documentId).where('revision', '=', revision).execute();
  }

  /** Top-k chunks of the persona by cosine distance, through the HNSW index of the embedding's dimension. */
  async search(query: KnowledgeSearch): Promise<KnowledgeHit[]> {
    if (query.limit <= 0) return [];
    const iterative = await supportsIterativeScan(this.db);
    const distance = cosineDistance('embedding', query.embedding);
    const rows = await this.db.transaction().execute(async (trx) => {
      // Most personas have no knowledge: answer them from the btree index instead of an HNSW walk that would scan
      // the graph (up to hnsw.max_scan_tuples) looking for rows that pass the filter.
      const any = await trx
        .selectFrom('knowledge_chunks')
        .select('id')
        .where('persona_id', '=', query.personaId)
        .where('embedding_model', '=', query.embeddingModel)
        .limit(1)
        .executeTakeFirst();
      if (!any) return [];
      await tuneHnswSearch(trx, this.config.turns.memoryEfSearch, iterative);
      const nearest = trx
        .selectFrom('knowledge_chunks')
        .select(['id', 'document_id', 'content', 'content_hash', distance.as('distance')])
        .where('embedding_dims', '=', query.embedding.length)
        .where('persona_id', '=', query.personaId)
        .where('embedding_model', '=', query.embeddingModel)
        .orderBy(distance)
        .limit(query.limit);
      return trx
        .selectFrom(nearest.as('hit'))
        .innerJoin('knowledge_documents as document', 'document.id', 'hit.document_id')
        .select(['hit.id', 'hit.document_id', 'hit.content', 'hit.content_hash', 'hit.distance', 'document.title'])
        .execute();
    });
    return rows
      .map((row) => ({
        id: row.id,
        documentId: row.document_id,
        documentTitle: row.title,
        content: row.content,
        contentHash: row.content_hash,
        distance: Number(row.distance),
      }))
      .sort((a, b) => a.distance - b.distance);
  }
}

function contentColumns(input: KnowledgeContent) {
  return {
    title: input.title,
    media_type: input.mediaType,
    content: input.content,
    content_hash: sha256Hex(input.content),
    bytes: Buffer.byteLength(input.content, 'utf8'),
  };
}

function toView(row: Pick<Selectable<KnowledgeDocumentsTable>, (typeof VIEW_COLUMNS)[number]>): KnowledgeDocumentView {
  return {
    id: row.id,
    personaId: row.persona_id,
    title: row.title,
    mediaType: row.media_type,
    bytes: row.bytes,
    contentHash: row.content_hash,
    revision: row.revision,
    status: row.status,
    error: row.error,
    indexedRevision: row.indexed_revision,
    chunkCount: row.chunk_count,
    embeddingModel: row.embedding_model,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
