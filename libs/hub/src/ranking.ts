// How lexical and semantic candidates become one ranking. The settings were chosen on the development half of
// scripts/bench/hub-queries.json (the held-out half is only measured); see scripts/bench/hub-search-bench.ts.

export interface RankingSettings {
  /** Weight of the lexical score (BM25F, divided by the query's best) in the fused score. */
  lexicalWeight: number;
  /** Weight of the semantic score (cosine similarity, scaled between the query's floor and best) in the fused score. */
  semanticWeight: number;
  /** The semantic floor: candidates at or below this rank's similarity add nothing. */
  semanticFloorRank: number;
  /** Score factor per soft constraint a model misses ("under 1M parameters", "for Swahili", "zk"). */
  constraintPenalty: number;
  /** A query word unknown to every card is also matched as the nearest card word within this many edits. */
  maxCorrectionEdits: number;
  /** Semantic candidates farther than this (cosine distance) are not candidates. */
  maxSemanticDistance: number;
  /** Postings read per query lexeme (its highest impacts): bounds the cost of words that are in most cards. */
  postingsPerLexeme: number;
  /** idf factor of the lexemes a word being typed may become. */
  prefixWeight: number;
  /** Lexical candidates fused. */
  candidates: number;
  /** Semantic candidates fused (nearest first; the floor rank must be within them). */
  semanticCandidates: number;
}

export const DEFAULT_RANKING: RankingSettings = {
  lexicalWeight: 1,
  semanticWeight: 0.2,
  semanticFloorRank: 40,
  constraintPenalty: 0.3,
  maxCorrectionEdits: 2,
  maxSemanticDistance: 1,
  postingsPerLexeme: 300,
  prefixWeight: 0.5,
  candidates: 100,
  semanticCandidates: 50,
};

/**
 * One score per candidate: the lexical score relative to the query's best lexical match, plus the semantic
 * similarity scaled from the floor (the similarity at semanticFloorRank, so the long tail adds nothing) to the best.
 */
export function fuseScores(
  lexical: readonly { name: string; score: number }[],
  semantic: readonly { name: string; distance: number }[],
  settings: Pick<RankingSettings, 'lexicalWeight' | 'semanticWeight' | 'semanticFloorRank'>,
): Map<string, number> {
  const fused = new Map<string, number>();
  const bestLexical = lexical[0]?.score ?? 0;
  if (bestLexical > 0) for (const candidate of lexical) fused.set(candidate.name, (settings.lexicalWeight * candidate.score) / bestLexical);
  if (semantic.length > 0) {
    const best = 1 - semantic[0]!.distance;
    const floor = 1 - semantic[Math.min(semantic.length - 1, settings.semanticFloorRank - 1)]!.distance;
    const span = best - floor;
    for (const candidate of semantic) {
      const scaled = span > 0 ? Math.max(0, (1 - candidate.distance - floor) / span) : 0;
      fused.set(candidate.name, (fused.get(candidate.name) ?? 0) + settings.semanticWeight * scaled);
    }
  }
  return fused;
}
