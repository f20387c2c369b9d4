import { describe, expect, it } from 'vitest';
import { HashingEmbedder } from './hashing-embedder';

function l2Norm(vector: Float32Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

function cosine(left: Float32Array, right: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < left.length; i++) dot += left[i]! * right[i]!;
  return dot / (l2Norm(left) * l2Norm(right));
}

describe('HashingEmbedder', () => {
  it('gives one vector of the configured dimension per text, in order', async () => {
    const embedder = new HashingEmbedder(64);
    const texts = ['the quick brown fox', 'a lazy dog', 'sleeps in the sun'];
    const vectors = await embedder.embed(texts);
    expect(embedder.dimensions).toBe(64);
    expect(vectors).toHaveLength(texts.length);
    for (const [index, vector] of vectors.entries()) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector.length).toBe(64);
      expect(Array.from(vector)).toEqual(Array.from(embedder.embedOne(texts[index]!)));
    }
    expect(new HashingEmbedder(384).embedOne('the quick brown fox').length).toBe(384);
  });

  it('L2-normalises every vector', () => {
    const embedder = new HashingEmbedder(384);
    for (const text of ['hello', 'I grew up on a farm near the river.', 'Ünïcödé wörds ünd 12345', 'x'.repeat(5000)]) {
      expect(l2Norm(embedder.embedOne(text))).toBeCloseTo(1, 5);
    }
  });

  it('is deterministic across calls and instances', () => {
    const text = 'My favourite season is autumn, when the leaves turn.';
    const first = new HashingEmbedder(384).embedOne(text);
    const second = new HashingEmbedder(384).embedOne(text);
    expect(Array.from(second)).toEqual(Array.from(first));
    expect(new HashingEmbedder(384).modelHash).toBe(new HashingEmbedder(384).modelHash);
  });

  it('names the dimension in its identity, so vectors of different sizes are never mixed', () => {
    const small = new HashingEmbedder(64);
    const large = new HashingEmbedder(384);
    expect(small.modelId).not.toBe(large.modelId);
    expect(small.modelHash).not.toBe(large.modelHash);
    expect(small.modelHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts a near paraphrase closer than an unrelated text', () => {
    const embedder = new HashingEmbedder(384);
    const anchor = embedder.embedOne('I love hiking in the mountains with my dog.');
    const paraphrase = embedder.embedOne('I really love hiking in the mountains with my dogs!');
    const unrelated = embedder.embedOne('Quarterly revenue figures exceeded analyst expectations.');
    expect(cosine(anchor, paraphrase)).toBeGreaterThan(cosine(anchor, unrelated));
    expect(cosine(anchor, paraphrase)).toBeGreaterThan(0.5);
  });

  it('keeps different forms of one word close through their shared character n-grams', () => {
    const embedder = new HashingEmbedder(384);
    const gardening = embedder.embedOne('gardening');
    expect(cosine(gardening, embedder.embedOne('gardener'))).toBeGreaterThan(0.3);
    expect(cosine(gardening, embedder.embedOne('gardener'))).toBeGreaterThan(cosine(gardening, embedder.embedOne('astronomy')) + 0.2);
  });

  it('ignores case and punctuation', () => {
    const embedder = new HashingEmbedder(384);
    const plain = embedder.embedOne('where did you grow up');
    const shouted = embedder.embedOne('WHERE did you grow up?!');
    expect(cosine(plain, shouted)).toBeCloseTo(1, 5);
  });

  it('still gives a unit vector for empty or punctuation-only text', () => {
    const embedder = new HashingEmbedder(32);
    for (const text of ['', '   ', '?!... --- ;;']) {
      const vector = embedder.embedOne(text);
      expect(vector.length).toBe(32);
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(l2Norm(vector)).toBeCloseTo(1, 6);
    }
  });
});
