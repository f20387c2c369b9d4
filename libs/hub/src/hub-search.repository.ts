// The SQL behind hub search: query words checked against the cards' words (trigram corrections), full-text
// candidates with field weights, nearest cards by embedding (pgvector HNSW), and the rows shown with highlights.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { checkedDimensions, DATABASE, supportsIterativeScan, toVectorParam, tuneHnswSearch, type Database } from '@doppel/db';
import type { HubTables } from './hub-tables';
import type { HubDatabase } from './hub.repository';

export interface HubSearchFilters {
  task?: string;
  format?: string;
  verification?: string;
  maxParameters?: number;
  license?: string;
  language?: string;
}

export interface TermAnalysis {
  token: string;
  known: boolean;
  /** Its lexemes (empty for a stop word). */
  lexemes: string[];
  /** The card word closest to an unknown token: trigram-similar, fewest edits. */
  suggestion: string | null;
  suggestionLexemes: string[];
  /** Levenshtein distance from the token to the suggestion. */
  edits: number | null;
}

export interface QueryTerms {
  terms: TermAnalysis[];
  /** Cards each known lexeme (of the words and their corrections) is in. */
  documents: Map<string, number>;
  /** Lexemes the word being typed may become, most common first. */
  expansions: { lexeme: string; documents: number }[];
}

export interface SearchCandidate {
  name: string;
  parameters: number | null;
  languages: string[];
  verification: string[];
}

export interface LexicalCandidate extends SearchCandidate {
  score: number;
}

export interface SemanticCandidate extends SearchCandidate {
  distance: number;
}

export interface SearchRow {
  name: string;
  modelHash: string;
  version: number;
  card: Record<string, unknown>;
  summary: string;
  /** The summary with matches between \u0002 and \u0003 (null without a text query). */
  summaryHighlight: string | null;
  publishedAt: Date;
}

const EF_SEARCH = 40;
const PREFIX_EXPANSIONS = 5;
const CORRECTION_CANDIDATES = 8;
const CARD_COUNT_TTL_MS = 10_000;
export const HIGHLIGHT_START = '\u0002';
export const HIGHLIGHT_STOP = '\u0003';

@Injectable()
export class HubSearchRepository {
  private readonly db: Kysely<HubDatabase>;
  private cards: { at: number; count: number } | null = null;

  constructor(@Inject(DATABASE) db: Kysely<Database>) {
    this.db = db.withTables<HubTables>();
  }

  /**
   * One round trip for everything the query's words need: their lexemes, a correction for each word no card
   * uses (the trigram-nearest card words, fewest edits), how many cards each lexeme is in, and the most common
   * lexemes the word being typed may become.
   */
  async analyseTerms(tokens: string[], prefixToken: string | null): Promise<QueryTerms> {
    if (tokens.length === 0) return { terms: [], documents: new Map(), expansions: [] };
    const { rows } = await sql<{
      kind: 'term' | 'count' | 'expansion';
      token: string | null;
      known: boolean | null;
      lexemes: string[] | null;
      suggestion: string | null;
      edits: number | null;
      suggestion_lexemes: string[] | null;
      lexeme: string | null;
      documents: number | null;
    }>`
      WITH known AS (SELECT word FROM hub_search_words WHERE word = ANY(${tokens}::text[])),
      tokens AS (
        SELECT t.token, t.position,
               t.token IN (SELECT word FROM known) AS known,
               ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', t.token))) AS lexemes
        FROM unnest(${tokens}::text[]) WITH ORDINALITY AS t(token, position)
      ),
      corrected AS (
        SELECT tokens.*, s.word AS suggestion, s.edits,
               ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', coalesce(s.word, '')))) AS suggestion_lexemes
        FROM tokens
        LEFT JOIN LATERAL (
          SELECT near.word, levenshtein(near.word, tokens.token) AS edits
          FROM (
            SELECT w.word, w.documents FROM hub_search_words w
            WHERE NOT tokens.known AND cardinality(tokens.lexemes) > 0 AND length(tokens.token) BETWEEN 4 AND 40
            ORDER BY w.word <-> tokens.token
            LIMIT ${CORRECTION_CANDIDATES}
          ) near
          WHERE similarity(near.word, tokens.token) >= 0.3
          ORDER BY edits, similarity(near.word, tokens.token) DESC, near.documents DESC
          LIMIT 1
        ) s ON true
      ),
      prefix AS (
        SELECT lexemes[1] AS lexeme FROM tokens
        WHERE token = ${prefixToken}::text AND length(lexemes[1]) >= 3
        ORDER BY position DESC LIMIT 1
      )
      SELECT 'term' AS kind, token, known, lexemes, suggestion, edits, suggestion_lexemes, NULL::text AS lexeme, NULL::int AS documents
      FROM (SELECT * FROM corrected ORDER BY position) ordered
      UNION ALL
      SELECT 'count', NULL::text, NULL::boolean, NULL::text[], NULL::text, NULL::int, NULL::text[], l.lexeme, l.documents
      FROM hub_search_lexemes l
      WHERE l.lexeme IN (SELECT unnest(lexemes || suggestion_lexemes) FROM corrected)
      UNION ALL
      SELECT * FROM (
        SELECT 'expansion', NULL::text, NULL::boolean, NULL::text[], NULL::text, NULL::int, NULL::text[], l.lexeme, l.documents
        FROM prefix, hub_search_lexemes l
        WHERE l.lexeme ~>=~ prefix.lexeme AND l.lexeme ~<~ (prefix.lexeme || chr(1114111))
        ORDER BY l.documents DESC
        LIMIT ${PREFIX_EXPANSIONS}
      ) expansions`.execute(this.db);
    return {
      terms: rows
        .filter((row) => row.kind === 'term')
        .map((row) => ({ token: row.token!, known: row.known!, lexemes: row.lexemes!, suggestion: row.suggestion, suggestionLexemes: row.suggestion_lexemes!, edits: row.edits })),
      documents: new Map(rows.filter((row) => row.kind === 'count').map((row) => [row.lexeme!, row.documents!])),
      expansions: rows.filter((row) => row.kind === 'expansion').map((row) => ({ lexeme: row.lexeme!, documents: row.documents! })),
    };
  }

  /** Searchable cards, re-counted at most every CARD_COUNT_TTL_MS (it only scales idf). */
  async cardCount(): Promise<number> {
    if (!this.cards || Date.now() - this.cards.at > CARD_COUNT_TTL_MS) {
      const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM hub_search`.execute(this.db);
      this.cards = { at: Date.now(), count: rows[0]!.count };
    }
    return this.cards.count;
  }

  /**
   * Sum of weight x impact over the query's lexemes, reading at most `perLexeme` postings of each (the highest
   * impacts, after the filters), so a word in every card costs no more than a rare one.
   */
  async lexicalCandidates(terms: readonly { lexeme: string; weight: number }[], filters: HubSearchFilters, perLexeme: number, limit: number): Promise<LexicalCandidate[]> {
    if (terms.length === 0) return [];
    const { task, ...others } = filters;
    const byTask = task === undefined ? sql`` : sql` AND hp.task = ${task}`;
    // A task filter alone is read from the postings' own (lexeme, task, impact) index; other filters need the card.
    const postings = hasFilters(others)
      ? sql`SELECT hp.name, hp.impact FROM hub_search_postings hp JOIN hub_search s ON s.name = hp.name
            WHERE hp.lexeme = t.lexeme${byTask} AND ${filterSql(others)} ORDER BY hp.impact DESC LIMIT ${perLexeme}`
      : sql`SELECT hp.name, hp.impact FROM hub_search_postings hp WHERE hp.lexeme = t.lexeme${byTask} ORDER BY hp.impact DESC LIMIT ${perLexeme}`;
    const { rows } = await sql<{ name: string; parameters: string | null; languages: string[]; verification: string[]; score: number }>`
      SELECT c.name, c.score, s.parameters, s.languages, s.verification
      FROM (
        SELECT p.name, sum(p.impact * t.weight)::float8 AS score
        FROM unnest(${terms.map((term) => term.lexeme)}::text[], ${terms.map((term) => term.weight)}::float8[]) AS t(lexeme, weight)
        CROSS JOIN LATERAL (${postings}) p
        GROUP BY p.name
        ORDER BY score DESC, p.name
        LIMIT ${limit}
      ) c
      JOIN hub_search s ON s.name = c.name
      ORDER BY c.score DESC, c.name`.execute(this.db);
    return rows.map((row) => ({ ...candidateOf(row), score: row.score }));
  }

  async semanticCandidates(embeddingModel: string, vector: Float32Array, filters: HubSearchFilters, maxDistance: number, limit: number): Promise<SemanticCandidate[]> {
    const dims = sql.raw(String(checkedDimensions(vector.length)));
    const iterative = await supportsIterativeScan(this.db);
    return this.db.transaction().execute(async (trx) => {
      await tuneHnswSearch(trx, Math.max(EF_SEARCH, limit), iterative);
      const { rows } = await sql<{ name: string; parameters: string | null; languages: string[]; verification: string[]; distance: number }>`
        SELECT * FROM (
          SELECT s.name, s.parameters, s.languages, s.verification, (e.embedding::vector(${dims})) <=> ${toVectorParam(vector)}::vector(${dims}) AS distance
          FROM hub_search_embeddings e
          JOIN hub_search s ON s.name = e.name
          WHERE e.embedding_model = ${embeddingModel} AND e.embedding_dims = ${dims} AND ${filterSql(filters)}
          ORDER BY distance
          LIMIT ${limit}
        ) n
        WHERE n.distance <= ${maxDistance}
        ORDER BY n.distance`.execute(trx);
      return rows.map((row) => ({ ...candidateOf(row), distance: row.distance }));
    });
  }

  /** Newest first, for a search without words. */
  async browse(filters: HubSearchFilters, limit: number, offset: number): Promise<{ names: string[]; total: number }> {
    const { rows } = await sql<{ name: string; total: string }>`
      SELECT s.name, count(*) OVER () AS total
      FROM hub_search s
      WHERE ${filterSql(filters)}
      ORDER BY s.published_at DESC, s.name
      LIMIT ${limit} OFFSET ${offset}`.execute(this.db);
    return { names: rows.map((row) => row.name), total: rows.length > 0 ? Number(rows[0]!.total) : 0 };
  }

  async rows(names: string[], tsquery: string | null): Promise<SearchRow[]> {
    if (names.length === 0) return [];
    const headline = tsquery
      ? sql<string>`ts_headline('english', s.summary, to_tsquery('simple', ${tsquery}), ${`StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}, HighlightAll=true`})`
      : sql<null>`NULL`;
    const { rows } = await sql<{ name: string; model_hash: string; version: number; card: Record<string, unknown>; summary: string; summary_highlight: string | null; published_at: Date }>`
      SELECT s.name, s.model_hash, v.version, v.card, s.summary, ${headline} AS summary_highlight, s.published_at
      FROM hub_search s
      JOIN hub_versions v ON v.model_hash = s.model_hash
      WHERE s.name = ANY(${names}::text[])`.execute(this.db);
    const byName = new Map(rows.map((row) => [row.name, row]));
    return names
      .map((name) => byName.get(name))
      .filter((row) => row !== undefined)
      .map((row) => ({
        name: row.name,
        modelHash: row.model_hash,
        version: row.version,
        card: row.card,
        summary: row.summary,
        summaryHighlight: row.summary_highlight,
        publishedAt: row.published_at,
      }));
  }
}

function candidateOf(row: { name: string; parameters: string | null; languages: string[]; verification: string[] }): SearchCandidate {
  return { name: row.name, parameters: row.parameters === null ? null : Number(row.parameters), languages: row.languages, verification: row.verification };
}

function hasFilters(filters: HubSearchFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined);
}

/** The request's filters, exact, on the hub_search row aliased `s`. */
function filterSql(filters: HubSearchFilters): Expression<SqlBool> {
  const clauses = [sql`true`];
  if (filters.task !== undefined) clauses.push(sql`s.task = ${filters.task}`);
  if (filters.format !== undefined) clauses.push(sql`s.format = ${filters.format}`);
  if (filters.license !== undefined) clauses.push(sql`s.license = ${filters.license}`);
  if (filters.maxParameters !== undefined) clauses.push(sql`s.parameters <= ${filters.maxParameters}`);
  if (filters.language !== undefined) clauses.push(sql`s.languages @> ARRAY[${filters.language}]::text[]`);
  if (filters.verification !== undefined) clauses.push(sql`s.verification @> ARRAY[${filters.verification}]::text[]`);
  return sql<SqlBool>`(${sql.join(clauses, sql` AND `)})`;
}
