// Mean pooling and L2 normalisation of an encoder's token vectors, as transformers.js's feature-extraction pipeline
// does them (`pooling: 'mean', normalize: true`), with the same rounding, so a vector is bit for bit the one the
// pipeline returns. Its generic tensor code converts the int64 attention mask from BigInt once per token per
// dimension and finds each element's row by division; at a turn's batch of replies that was ~3/4 of an embed call's
// CPU. Here the mask is read once per token and rows are walked in place.
'use strict';

/**
 * hidden: float32 [count, tokens, dimensions] (row-major); mask: the tokenizer's attention mask [count, tokens]
 * (BigInt64Array or numbers). Returns float32 [count, dimensions], each row of unit length.
 */
function meanPooledUnitRows(hidden, mask, count, tokens, dimensions) {
  const pooled = new Float32Array(count * dimensions);
  const weights = new Float64Array(tokens);
  for (let row = 0; row < count; row++) {
    let maskSum = 0;
    for (let token = 0; token < tokens; token++) {
      weights[token] = Number(mask[row * tokens + token]);
      maskSum += weights[token];
    }
    const rowStart = row * tokens * dimensions;
    const out = row * dimensions;
    for (let dimension = 0; dimension < dimensions; dimension++) {
      let sum = 0;
      for (let token = 0; token < tokens; token++) sum += hidden[rowStart + token * dimensions + dimension] * weights[token];
      pooled[out + dimension] = sum / maskSum;
    }
    // The pipeline's norm accumulates in the tensor's own type (each partial sum rounded to float32), then takes
    // `** 0.5`, not Math.sqrt: both kept so the result does not move by an ulp.
    let squares = 0;
    for (let dimension = 0; dimension < dimensions; dimension++) {
      const value = pooled[out + dimension];
      squares = Math.fround(squares + value ** 2);
    }
    const norm = Math.fround(squares ** (1 / 2));
    for (let dimension = 0; dimension < dimensions; dimension++) pooled[out + dimension] /= norm;
  }
  return pooled;
}

module.exports = { meanPooledUnitRows };
