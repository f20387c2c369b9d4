import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mean_pooling, pipeline, Tensor, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { OnnxEmbeddingBackend } from './onnx-embedding-backend';
import { seededRandom } from './seeded-random';

const { meanPooledUnitRows } = createRequire(__filename)('../threads/sentence-pooling.cjs') as {
  meanPooledUnitRows: (hidden: Float32Array, mask: BigInt64Array, count: number, tokens: number, dimensions: number) => Float32Array;
};

const MODEL_DIR = join(__dirname, '..', '..', '..', 'models', 'doppel-embed-small');

/** The bits of each float, so a difference of one ulp fails the comparison. */
function bitsOf(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

describe('meanPooledUnitRows (the embed thread’s pooling)', () => {
  it('gives the bits transformers.js’s mean_pooling + normalize(2, -1) give, padded rows included', () => {
    const random = seededRandom('pooling');
    const [count, tokens, dimensions] = [5, 13, 37];
    const hidden = Float32Array.from({ length: count * tokens * dimensions }, () => (random() - 0.5) * 6);
    // Rows of 13, 1, 7, 12 and 4 real tokens: the rest is padding that must not count.
    const lengths = [13, 1, 7, 12, 4];
    const mask = BigInt64Array.from({ length: count * tokens }, (_, at) => (at % tokens < lengths[Math.floor(at / tokens)]! ? 1n : 0n));
    const expected = mean_pooling(new Tensor('float32', hidden, [count, tokens, dimensions]), new Tensor('int64', mask, [count, tokens])).normalize(2, -1);

    const pooled = meanPooledUnitRows(hidden, mask, count, tokens, dimensions);

    expect(bitsOf(pooled)).toEqual(bitsOf(expected.data as Float32Array));
    const firstRowNorm = Math.hypot(...pooled.subarray(0, dimensions));
    expect(firstRowNorm).toBeCloseTo(1, 5);
  });
});

describe('OnnxEmbeddingBackend (doppel-embed-small, in its thread)', () => {
  let backend: OnnxEmbeddingBackend;
  let reference: FeatureExtractionPipeline;

  beforeAll(async () => {
    backend = await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: 'test', modelDir: MODEL_DIR, dimensions: 100, intraOpThreads: 1 });
    reference = await pipeline('feature-extraction', MODEL_DIR, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  });

  afterAll(async () => {
    await backend?.close();
    await reference?.dispose();
  });

  it('returns, for a batch of texts of different lengths, the vectors the transformers.js pipeline returns', async () => {
    const texts = [
      'Hello Ada, who are you?',
      'I am Ada. The analytical engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.',
      'cats',
      'My sister lives in Lisbon and I work as a nurse on night shifts.',
    ];

    const vectors = await backend.embed(texts);
    const expected = await reference(texts, { pooling: 'mean', normalize: true });

    expect(vectors).toHaveLength(texts.length);
    vectors.forEach((vector, row) => {
      expect(vector).toHaveLength(100);
      expect(bitsOf(vector)).toEqual(bitsOf((expected.data as Float32Array).subarray(row * 100, (row + 1) * 100)));
    });
    // A text embeds the same alone as in a batch (padding does not leak into its mean).
    const [alone] = await backend.embed([texts[2]!]);
    expect(bitsOf(alone!)).toEqual(bitsOf(vectors[2]!));
  });
});
