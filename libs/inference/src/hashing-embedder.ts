// The lexical baseline embedder: character n-grams and whole words, feature-hashed into N signed buckets,
// L2-normalised. No model, no vocabulary; close texts share n-grams. The ONNX embedder must beat it.
import { canonicalJson, sha256Hex } from '@doppel/protocol';
import type { EmbeddingBackend } from './model-backend';

const NGRAM_SIZES = [3, 4, 5] as const;
const WORD_WEIGHT = 2;
const HASHING_VERSION = 1;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function hashingModelHash(dimensions: number): string {
  return sha256Hex(canonicalJson({ backend: 'hashing', version: HASHING_VERSION, dimensions, ngrams: NGRAM_SIZES, wordWeight: WORD_WEIGHT }));
}

export class HashingEmbedder implements EmbeddingBackend {
  readonly modelId: string;
  readonly modelHash: string;

  constructor(readonly dimensions: number) {
    this.modelId = `hashing-${dimensions}`;
    this.modelHash = hashingModelHash(dimensions);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    for (const word of words) {
      this.add(vector, `w:${word}`, WORD_WEIGHT);
      const padded = `<${word}>`;
      for (const size of NGRAM_SIZES) {
        for (let start = 0; start + size <= padded.length; start++) this.add(vector, padded.slice(start, start + size), 1);
      }
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    if (norm === 0) {
      // Text without letters or digits still needs a valid direction for cosine distance.
      vector[0] = 1;
      return vector;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
    return vector;
  }

  private add(vector: Float32Array, feature: string, weight: number): void {
    const hash = fnv1a(feature);
    const sign = hash & 0x80000000 ? -1 : 1;
    vector[hash % this.dimensions]! += sign * weight;
  }
}
