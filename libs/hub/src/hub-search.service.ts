// Hub search: the query's words (typos corrected against the cards' own words) ranked by Postgres full text with
// field weights, fused with the nearest cards by the deployment's embedding model, soft constraints the query
// states applied, exact filters from the request. Results carry highlighted summaries.
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { HubEmbedder } from './hub-embedder';
import { HIGHLIGHT_START, HIGHLIGHT_STOP, HubSearchRepository, type HubSearchFilters, type QueryTerms, type SearchCandidate, type SearchRow, type TermAnalysis } from './hub-search.repository';
import { VERIFICATION_LEVELS, type CardFrontMatter } from './model-card';
import { DEFAULT_RANKING, fuseScores, type RankingSettings } from './ranking';
import type { HighlightSegment, HubSearchHit, HubSearchResult } from './hub-views';
import { analyseQuery, constraintFactor } from './search-query';

const filterSlug = z.string().regex(/^[a-z0-9][a-z0-9._+-]{0,63}$/i, 'a short identifier');

export const hubSearchQuerySchema = z.strictObject({
  q: z.string().max(300).optional(),
  task: filterSlug.optional(),
  format: filterSlug.optional(),
  verification: z.enum(VERIFICATION_LEVELS).optional(),
  maxParameters: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  license: filterSlug.optional(),
  language: filterSlug.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  offset: z.coerce.number().int().min(0).max(200).default(0),
});
export type HubSearchQuery = z.infer<typeof hubSearchQuerySchema>;


@Injectable()
export class HubSearchService {
  constructor(
    private readonly repository: HubSearchRepository,
    private readonly embedder: HubEmbedder,
  ) {}

  async search(query: HubSearchQuery, settings: RankingSettings = DEFAULT_RANKING): Promise<HubSearchResult> {
    const started = performance.now();
    const filters: HubSearchFilters = {
      task: query.task,
      format: query.format,
      verification: query.verification,
      maxParameters: query.maxParameters,
      license: query.license,
      language: query.language,
    };
    const analysed = analyseQuery(query.q ?? '');
    if (analysed.terms.length === 0) {
      const { names, total } = await this.repository.browse(filters, query.limit, query.offset);
      const rows = await this.repository.rows(names, null);
      return { items: rows.map((row) => hitOf(row, null, [], [], null)), total, corrections: [], understood: analysed.constraints, tookMs: performance.now() - started };
    }

    // The semantic half needs only the query's embedding, so it runs alongside the lexical analysis.
    const semanticSearch = this.embedder
      .embed([query.q!])
      .catch(() => null)
      .then((embedded) =>
        embedded ? this.repository.semanticCandidates(embedded.model, embedded.vectors[0]!, filters, settings.maxSemanticDistance, settings.semanticCandidates) : [],
      );
    const [analysis, cards] = await Promise.all([this.repository.analyseTerms(analysed.terms, analysed.prefix), this.repository.cardCount()]);
    const terms = analysis.terms;
    const corrections = terms
      .filter((term) => !term.known && term.lexemes.length > 0 && term.suggestion && term.edits !== null && term.edits <= allowedEdits(term.token, settings))
      .map((term) => ({ from: term.token, to: term.suggestion! }));
    const weighted = weightedLexemes(lexemesOf(terms, corrections), analysis, cards, settings.prefixWeight);
    const tsquery = buildTsquery(terms, corrections, analysed.prefix);
    const [lexical, semantic] = await Promise.all([this.repository.lexicalCandidates(weighted, filters, settings.postingsPerLexeme, settings.candidates), semanticSearch]);

    const fused = fuseScores(lexical, semantic, settings);
    const candidates = new Map<string, SearchCandidate>([...semantic, ...lexical].map((candidate) => [candidate.name, candidate]));
    const lexicalNames = new Set(lexical.map((candidate) => candidate.name));
    const semanticNames = new Set(semantic.map((candidate) => candidate.name));
    const ranked = [...fused.entries()]
      .map(([name, score]) => ({ name, score: score * constraintFactor(analysed.constraints, candidates.get(name)!, settings.constraintPenalty) }))
      .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1));
    const page = ranked.slice(query.offset, query.offset + query.limit);
    const rows = await this.repository.rows(
      page.map((entry) => entry.name),
      tsquery,
    );
    const scores = new Map(page.map((entry) => [entry.name, entry.score]));
    const queryWords = [...analysed.terms, ...corrections.map((correction) => correction.to)];
    return {
      items: rows.map((row) =>
        hitOf(row, scores.get(row.name)!, queryWords, [...(lexicalNames.has(row.name) ? ['lexical' as const] : []), ...(semanticNames.has(row.name) ? ['semantic' as const] : [])], analysed.prefix),
      ),
      total: ranked.length,
      corrections,
      understood: analysed.constraints,
      tookMs: performance.now() - started,
    };
  }
}

/** Every lexeme of the query's words and of their accepted corrections. */
function lexemesOf(terms: readonly TermAnalysis[], corrections: readonly { from: string }[]): string[] {
  const lexemes = new Set<string>();
  for (const term of terms) {
    for (const lexeme of term.lexemes) lexemes.add(lexeme);
    if (corrections.some((correction) => correction.from === term.token)) for (const lexeme of term.suggestionLexemes) lexemes.add(lexeme);
  }
  return [...lexemes];
}

/** Each lexeme weighted by its idf; lexemes a word being typed may become count for less. Unknown ones are dropped. */
export function weightedLexemes(
  lexemes: readonly string[],
  stats: Pick<QueryTerms, 'documents' | 'expansions'>,
  cards: number,
  prefixWeight: number,
): { lexeme: string; weight: number }[] {
  const idf = (documents: number) => Math.log(1 + (cards - documents + 0.5) / (documents + 0.5));
  const weighted = new Map<string, number>();
  for (const lexeme of lexemes) {
    const documents = stats.documents.get(lexeme);
    if (documents) weighted.set(lexeme, idf(documents));
  }
  for (const expansion of stats.expansions) {
    if (!weighted.has(expansion.lexeme)) weighted.set(expansion.lexeme, prefixWeight * idf(expansion.documents));
  }
  return [...weighted].map(([lexeme, weight]) => ({ lexeme, weight }));
}

/** A short word is corrected by one edit at most, a longer one by maxCorrectionEdits. */
function allowedEdits(token: string, settings: RankingSettings): number {
  return token.length <= 5 ? 1 : settings.maxCorrectionEdits;
}

/** OR of every query word's lexemes and their corrections; the last word also as a prefix. Null when only stop words. */
export function buildTsquery(terms: readonly TermAnalysis[], corrections: readonly { from: string; to: string }[], prefix: string | null): string | null {
  const lexemes = new Set<string>();
  for (const term of terms) {
    for (const lexeme of term.lexemes) lexemes.add(quoteLexeme(lexeme));
    if (corrections.some((correction) => correction.from === term.token)) for (const lexeme of term.suggestionLexemes) lexemes.add(quoteLexeme(lexeme));
  }
  const prefixTerm = prefix ? terms.findLast((term) => term.token === prefix) : undefined;
  for (const lexeme of prefixTerm?.lexemes ?? []) lexemes.add(`${quoteLexeme(lexeme)}:*`);
  return lexemes.size > 0 ? [...lexemes].join(' | ') : null;
}

function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function highlightSegments(marked: string): HighlightSegment[] {
  const segments: HighlightSegment[] = [];
  let rest = marked;
  while (rest.length > 0) {
    const start = rest.indexOf(HIGHLIGHT_START);
    if (start === -1) {
      segments.push({ text: rest, match: false });
      break;
    }
    if (start > 0) segments.push({ text: rest.slice(0, start), match: false });
    const stop = rest.indexOf(HIGHLIGHT_STOP, start);
    const end = stop === -1 ? rest.length : stop;
    segments.push({ text: rest.slice(start + 1, end), match: true });
    rest = stop === -1 ? '' : rest.slice(stop + 1);
  }
  return segments.filter((segment) => segment.text.length > 0);
}

function hitOf(row: SearchRow, score: number | null, queryWords: readonly string[], matchedBy: HubSearchHit['matchedBy'], prefix: string | null): HubSearchHit {
  const card = row.card as CardFrontMatter;
  const tags = card.tags ?? [];
  const matchingTags = tags.filter((tag) => {
    const tagWords = tag.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    return tagWords.some((word) => queryWords.includes(word) || (prefix !== null && word.startsWith(prefix)));
  });
  return {
    name: row.name,
    version: row.version,
    modelHash: row.modelHash,
    displayName: card.name,
    task: card.task,
    format: card.format ?? null,
    parameters: card.parameters ?? null,
    license: card.license ?? null,
    languages: card.languages ?? [],
    tags,
    verification: card.verification ?? [],
    author: card.author ?? null,
    summary: row.summary,
    highlights: { summary: row.summaryHighlight ? highlightSegments(row.summaryHighlight) : [{ text: row.summary, match: false }], tags: matchingTags },
    score,
    matchedBy,
    publishedAt: row.publishedAt,
  };
}
