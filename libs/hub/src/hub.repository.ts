// The hub's published models: names, their immutable versions, the blobs they hold, and the search rows derived
// from each name's latest version. Publishing is one transaction: the version, `latest`, and what search reads.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { DATABASE, toVectorParam, type Database } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { HubFile, HubRemote, HubSource, HubTables } from './hub-tables';
import type { CardFrontMatter } from './model-card';
import type { HubVersionSummary } from './hub-views';
import type { SearchDocument } from './search-document';

export type HubDatabase = Database & HubTables;

/**
 * BM25F at index time: term frequency weighted by field (A name and tags, B task, summary, languages and other
 * facets, C the rest of the card with its length normalised, D metric names), saturated by k1.
 */
export const FIELD_WEIGHTS = [1, 0.6, 0.15, 0.1] as const;
const BM25_K1 = 1.2;
const BM25_B = 0.75;
const BODY_AVERAGE_LEXEMES = 400;

export interface NewHubVersion {
  modelHash: string;
  name: string;
  source: HubSource;
  card: CardFrontMatter;
  cardMarkdown: string;
  summary: string;
  files: HubFile[];
  remote: HubRemote | null;
  publisherId: string;
  signer: string | null;
  signature: string | null;
  parentRef: string | null;
  parentHash: string | null;
  parentRelation: string | null;
}

export interface HubVersionRecord {
  modelHash: string;
  name: string;
  version: number;
  latestVersion: number;
  source: HubSource;
  card: CardFrontMatter;
  cardMarkdown: string;
  files: HubFile[];
  remote: HubRemote | null;
  publisherId: string;
  publisherName: string;
  ownerId: string;
  signer: string | null;
  signature: string | null;
  parentRef: string | null;
  parentHash: string | null;
  parentRelation: string | null;
  publishedAt: Date;
}

export interface SearchEmbedding {
  model: string;
  vector: Float32Array;
}

@Injectable()
export class HubRepository {
  private readonly db: Kysely<HubDatabase>;

  constructor(@Inject(DATABASE) db: Kysely<Database>) {
    this.db = db.withTables<HubTables>();
  }

  /**
   * Adds the next version of `name` (1 for a new name, owned from then on by its publisher) and makes it the one
   * search shows. Refuses a name owned by another account, and bytes that are already published.
   */
  async publish(input: NewHubVersion, document: SearchDocument, embedding: SearchEmbedding | null): Promise<HubVersionRecord> {
    const { modelHash } = await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('hub_versions').select(['name', 'version']).where('model_hash', '=', input.modelHash).executeTakeFirst();
      if (existing) {
        throw new DoppelError(ErrorCode.HubVersionExists, `These bytes are already published as ${existing.name}@${existing.version} (model hash ${input.modelHash}); versions never change.`, {
          name: existing.name,
          version: existing.version,
          modelHash: input.modelHash,
        });
      }
      const created = await trx
        .insertInto('hub_models')
        .values({ name: input.name, owner_id: input.publisherId, latest_version: 1 })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      let version = 1;
      if (!created) {
        const model = await trx.selectFrom('hub_models').selectAll().where('name', '=', input.name).forUpdate().executeTakeFirstOrThrow();
        if (model.owner_id !== input.publisherId) {
          throw new DoppelError(ErrorCode.HubNameTaken, `The model name ${input.name} belongs to another account; publish under another name (the card's id).`);
        }
        version = model.latest_version + 1;
        await trx.updateTable('hub_models').set({ latest_version: version }).where('name', '=', input.name).execute();
      }
      if (input.files.length > 0) {
        await trx
          .insertInto('hub_blobs')
          .values(uniqueBlobs(input.files).map((file) => ({ sha256: file.sha256, bytes: file.bytes })))
          .onConflict((conflict) => conflict.column('sha256').doNothing())
          .execute();
      }
      await trx
        .insertInto('hub_versions')
        .values({
          model_hash: input.modelHash,
          name: input.name,
          version,
          source: input.source,
          card: JSON.stringify(input.card),
          card_markdown: input.cardMarkdown,
          files: JSON.stringify(input.files),
          remote: input.remote ? JSON.stringify(input.remote) : null,
          publisher_id: input.publisherId,
          signer: input.signer,
          signature: input.signature,
          parent_ref: input.parentRef,
          parent_hash: input.parentHash,
          parent_relation: input.parentRelation,
        })
        .execute();
      await this.indexLatest(trx, input, document, embedding);
      return { modelHash: input.modelHash };
    });
    return (await this.findByHash(modelHash))!;
  }

  /** Re-embeds every searchable card with `model` (after the deployment's embedding model changed). */
  async searchTexts(): Promise<{ name: string; modelHash: string; cardMarkdown: string }[]> {
    return this.db
      .selectFrom('hub_search')
      .innerJoin('hub_versions', 'hub_versions.model_hash', 'hub_search.model_hash')
      .select(['hub_search.name', 'hub_search.model_hash as modelHash', 'hub_versions.card_markdown as cardMarkdown'])
      .orderBy('hub_search.name')
      .execute();
  }

  async replaceEmbedding(name: string, embedding: SearchEmbedding): Promise<void> {
    await this.upsertEmbedding(this.db, name, embedding);
  }

  async findByHash(modelHash: string): Promise<HubVersionRecord | null> {
    return this.selectVersion((query) => query.where('hub_versions.model_hash', '=', modelHash));
  }

  async findByName(name: string, version: number | 'latest'): Promise<HubVersionRecord | null> {
    return this.selectVersion((query) =>
      query.where('hub_versions.name', '=', name).where('hub_versions.version', '=', version === 'latest' ? sql.ref<number>('hub_models.latest_version') : version),
    );
  }

  async versionsOf(name: string): Promise<HubVersionSummary[]> {
    const rows = await this.db
      .selectFrom('hub_versions')
      .select(['model_hash', 'name', 'version', 'parent_relation', 'created_at'])
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((row) => ({ modelHash: row.model_hash, name: row.name, version: row.version, relation: row.parent_relation, publishedAt: row.created_at }));
  }

  /** Versions published as made from `modelHash` (fine-tunes, quantisations…). */
  async childrenOf(modelHash: string): Promise<HubVersionSummary[]> {
    const rows = await this.db
      .selectFrom('hub_versions')
      .select(['model_hash', 'name', 'version', 'parent_relation', 'created_at'])
      .where('parent_hash', '=', modelHash)
      .orderBy('created_at')
      .limit(100)
      .execute();
    return rows.map((row) => ({ modelHash: row.model_hash, name: row.name, version: row.version, relation: row.parent_relation, publishedAt: row.created_at }));
  }

  /** A blob's size when a published version holds it; null otherwise (half-finished uploads are never served). */
  async blobBytes(sha256: string): Promise<number | null> {
    const row = await this.db.selectFrom('hub_blobs').select('bytes').where('sha256', '=', sha256).executeTakeFirst();
    return row ? Number(row.bytes) : null;
  }

  async countSearchable(): Promise<number> {
    const row = await this.db.selectFrom('hub_search').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  private async selectVersion(where: (query: any) => any): Promise<HubVersionRecord | null> {
    const query = this.db
      .selectFrom('hub_versions')
      .innerJoin('hub_models', 'hub_models.name', 'hub_versions.name')
      // accounts belongs to libs/accounts; the hub only reads the publisher's display name.
      .innerJoin('accounts', 'accounts.id', 'hub_versions.publisher_id')
      .selectAll('hub_versions')
      .select(['hub_models.latest_version', 'hub_models.owner_id', 'accounts.display_name as publisher_name']);
    const row = (await where(query).executeTakeFirst()) as (Selectable<HubTables['hub_versions']> & { latest_version: number; owner_id: string; publisher_name: string }) | undefined;
    if (!row) return null;
    return {
      modelHash: row.model_hash,
      name: row.name,
      version: row.version,
      latestVersion: row.latest_version,
      source: row.source,
      card: row.card as CardFrontMatter,
      cardMarkdown: row.card_markdown,
      files: row.files,
      remote: row.remote,
      publisherId: row.publisher_id,
      publisherName: row.publisher_name,
      ownerId: row.owner_id,
      signer: row.signer,
      signature: row.signature,
      parentRef: row.parent_ref,
      parentHash: row.parent_hash,
      parentRelation: row.parent_relation,
      publishedAt: row.created_at,
    };
  }

  /**
   * The search row of `name` now describes this version: its postings, lexeme counts and words replace the
   * previous version's.
   */
  private async indexLatest(trx: Transaction<HubDatabase>, input: NewHubVersion, document: SearchDocument, embedding: SearchEmbedding | null): Promise<void> {
    const card = input.card;
    await sql`
      UPDATE hub_search_lexemes SET documents = documents - 1
      WHERE lexeme IN (SELECT lexeme FROM hub_search_postings WHERE name = ${input.name})`.execute(trx);
    await sql`
      DELETE FROM hub_search_lexemes
      WHERE documents <= 0 AND lexeme IN (SELECT lexeme FROM hub_search_postings WHERE name = ${input.name})`.execute(trx);
    const previousWords = sql`COALESCE((SELECT words FROM hub_search WHERE name = ${input.name}), '{}')`;
    await sql`UPDATE hub_search_words SET documents = documents - 1 WHERE word = ANY(${previousWords})`.execute(trx);
    await sql`DELETE FROM hub_search_words WHERE documents <= 0 AND word = ANY(${previousWords})`.execute(trx);
    await sql`DELETE FROM hub_search_postings WHERE name = ${input.name}`.execute(trx);
    await sql`
      INSERT INTO hub_search (name, model_hash, task, format, parameters, license, languages, verification, summary, words, published_at)
      SELECT ${input.name}, ${input.modelHash}, ${card.task}, ${card.format ?? null}, ${card.parameters ?? null}, ${card.license ?? null},
             ${card.languages}::text[], ${card.verification}::text[], ${input.summary},
             ARRAY(SELECT DISTINCT lexeme FROM unnest(to_tsvector('simple', ${[document.a, document.b, document.c].join(' ')})) WHERE length(lexeme) BETWEEN 3 AND 40 ORDER BY 1),
             now()
      ON CONFLICT (name) DO UPDATE SET model_hash = EXCLUDED.model_hash, task = EXCLUDED.task, format = EXCLUDED.format,
        parameters = EXCLUDED.parameters, license = EXCLUDED.license, languages = EXCLUDED.languages,
        verification = EXCLUDED.verification, summary = EXCLUDED.summary, words = EXCLUDED.words,
        published_at = EXCLUDED.published_at, updated_at = now()`.execute(trx);
    const [weightA, weightB, weightC, weightD] = FIELD_WEIGHTS;
    await sql`
      WITH card AS (
        SELECT setweight(to_tsvector('english', ${document.a}), 'A') || setweight(to_tsvector('english', ${document.b}), 'B') ||
               setweight(to_tsvector('english', ${document.c}), 'C') || setweight(to_tsvector('english', ${document.d}), 'D') AS vector
      ),
      terms AS (
        SELECT u.lexeme,
               cardinality(array_positions(u.weights, 'A')) AS tf_a, cardinality(array_positions(u.weights, 'B')) AS tf_b,
               cardinality(array_positions(u.weights, 'C')) AS tf_c, cardinality(array_positions(u.weights, 'D')) AS tf_d
        FROM card, unnest(card.vector) AS u(lexeme, positions, weights)
      ),
      body AS (SELECT greatest(1, sum(tf_c)) AS length FROM terms),
      weighted AS (
        SELECT lexeme,
               ${weightA}::float8 * tf_a + ${weightB}::float8 * tf_b + ${weightD}::float8 * tf_d +
               ${weightC}::float8 * tf_c / (1 - ${BM25_B}::float8 + ${BM25_B}::float8 * body.length / ${BODY_AVERAGE_LEXEMES}::float8) AS tf
        FROM terms, body
      )
      INSERT INTO hub_search_postings (lexeme, name, task, impact)
      SELECT lexeme, ${input.name}, ${card.task}, tf * (${BM25_K1}::float8 + 1) / (tf + ${BM25_K1}::float8) FROM weighted WHERE tf > 0 AND length(lexeme) <= 100`.execute(trx);
    await sql`
      INSERT INTO hub_search_lexemes (lexeme, documents)
      SELECT lexeme, 1 FROM hub_search_postings WHERE name = ${input.name} ORDER BY lexeme
      ON CONFLICT (lexeme) DO UPDATE SET documents = hub_search_lexemes.documents + 1`.execute(trx);
    await sql`
      INSERT INTO hub_search_words (word, documents)
      SELECT word, 1 FROM hub_search, unnest(words) AS word WHERE name = ${input.name} ORDER BY word
      ON CONFLICT (word) DO UPDATE SET documents = hub_search_words.documents + 1`.execute(trx);
    await sql`DELETE FROM hub_search_embeddings WHERE name = ${input.name}`.execute(trx);
    if (embedding) await this.upsertEmbedding(trx, input.name, embedding);
  }

  private async upsertEmbedding(db: Kysely<HubDatabase>, name: string, embedding: SearchEmbedding): Promise<void> {
    await sql`
      INSERT INTO hub_search_embeddings (name, embedding_model, embedding_dims, embedding)
      VALUES (${name}, ${embedding.model}, ${embedding.vector.length}, ${toVectorParam(embedding.vector)}::vector)
      ON CONFLICT (name, embedding_model) DO UPDATE SET embedding_dims = EXCLUDED.embedding_dims, embedding = EXCLUDED.embedding`.execute(db);
  }
}

function uniqueBlobs(files: HubFile[]): HubFile[] {
  return [...new Map(files.map((file) => [file.sha256, file])).values()];
}
