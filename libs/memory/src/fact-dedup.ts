// When is a newly extracted fact one the persona already remembers? Vector search finds the known facts close to
// it (FACT_DEDUP_MAX_DISTANCE); among those, it is a restatement when one fact's words contain the other's. The
// word check matters: small embedding models put "Their favorite color is green." and "…is blue." within a few
// hundredths of each other (scripts/bench/facts-bench.ts), and a different value is new information, not a repeat.

/** True when `fact` says nothing that `known` does not, or the other way round (a longer restatement of it). */
export function isRestatement(fact: string, known: string): boolean {
  const factWords = wordsOf(fact);
  const knownWords = wordsOf(known);
  return isSubset(factWords, knownWords) || isSubset(knownWords, factWords);
}

function wordsOf(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []);
}

function isSubset(small: Set<string>, large: Set<string>): boolean {
  for (const word of small) if (!large.has(word)) return false;
  return true;
}
