// Plain BM25 (k1 1.2, b 0.75) over whole cards: the baseline hub search must beat. Lowercase words, English stop
// words removed, no stemming, no field weights.
const STOP_WORDS = new Set(
  'a an and are as at be by can for from has have i in into is it its me my of on or that the their this to was were what when where which who will with you your'.split(' '),
);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => !STOP_WORDS.has(word));
}

export interface Bm25Index {
  documents: { name: string; length: number; counts: Map<string, number> }[];
  documentFrequency: Map<string, number>;
  averageLength: number;
}

export function buildBm25Index(documents: { name: string; text: string }[]): Bm25Index {
  const indexed = documents.map((document) => {
    const counts = new Map<string, number>();
    const tokens = words(document.text);
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    return { name: document.name, length: tokens.length, counts };
  });
  const documentFrequency = new Map<string, number>();
  for (const document of indexed) for (const token of document.counts.keys()) documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
  return { documents: indexed, documentFrequency, averageLength: indexed.reduce((sum, document) => sum + document.length, 0) / indexed.length };
}

export function bm25Ranking(index: Bm25Index, query: string, k1 = 1.2, b = 0.75): string[] {
  const terms = [...new Set(words(query))];
  const total = index.documents.length;
  return index.documents
    .map((document) => {
      let score = 0;
      for (const term of terms) {
        const frequency = document.counts.get(term) ?? 0;
        if (frequency === 0) continue;
        const df = index.documentFrequency.get(term) ?? 0;
        const idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
        score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * document.length) / index.averageLength));
      }
      return { name: document.name, score };
    })
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
    .map((entry) => entry.name);
}
