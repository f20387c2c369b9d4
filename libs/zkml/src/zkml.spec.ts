// The compiler's front half without the prover: ONNX in and out, the fixed-point semantics against onnxruntime on
// the shipped model, refusals, and a deterministic circuit source.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { circomSource } from './circom-source';
import { encodeInput, evaluateFixed, FixedPointRangeError, fromFixed, fromField, quantizeMlp, toField } from './fixed-point';
import { mlpToOnnx, readMlp, UnsupportedGraphError, type Mlp } from './mlp';
import { readOnnx, writeOnnx } from './onnx-proto';
import { loadZkModel, runAttachment } from './zk-model';

const MODEL_DIR = resolve(__dirname, '../../../models/doppel-topic-mlp');

/** A fixed pseudo-random vector with unit L2 norm, like a sentence embedding. */
function unitVector(seed: number, size: number): Float32Array {
  let state = seed;
  const values = Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  });
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / norm);
}

describe('ONNX graphs as MLPs', () => {
  const tiny: Mlp = {
    inputName: 'x',
    outputName: 'y',
    inputSize: 3,
    layers: [
      { weights: [[0.5, -0.25, 1], [0, 0.125, -2]], bias: [0.1, -0.2], activation: 'relu' },
      { weights: [[1, -1]], bias: [0], activation: 'hardsigmoid' },
    ],
  };

  it('writes a graph that reads back to the same layers, byte for byte the same on a second write', () => {
    const bytes = mlpToOnnx(tiny, 'spec');
    const back = readMlp(bytes);
    expect(back.layers.map((layer) => layer.activation)).toEqual(['relu', 'hardsigmoid']);
    expect(back.layers[0]!.weights).toEqual(tiny.layers[0]!.weights);
    expect(back.layers[0]!.bias.map((value) => Math.fround(value))).toEqual(tiny.layers[0]!.bias.map((value) => Math.fround(value)));
    expect(Buffer.from(mlpToOnnx(back, 'spec'))).toEqual(Buffer.from(bytes));
  });

  it('refuses an operator it cannot compile, naming it', () => {
    const model = readOnnx(mlpToOnnx(tiny, 'spec'));
    model.graph.nodes[1]!.opType = 'Tanh';
    expect(() => readMlp(writeOnnx(model))).toThrow(UnsupportedGraphError);
    expect(() => readMlp(writeOnnx(model))).toThrow(/Tanh/);
  });

  it('reads MatMul + Add and Sigmoid (approximated by the hard sigmoid) as a dense layer', () => {
    const model = readOnnx(mlpToOnnx(tiny, 'spec'));
    const gemm = model.graph.nodes[0]!;
    const weights = model.graph.initializers.find((tensor) => tensor.name === 'W0')!;
    // MatMul stores [in][out]: transpose the Gemm weights.
    weights.values = Float32Array.from([0.5, 0, -0.25, 0.125, 1, -2]);
    weights.dims = [3, 2];
    model.graph.nodes.splice(0, 1, { opType: 'MatMul', inputs: ['x', 'W0'], outputs: ['mm'], attributes: [] }, { opType: 'Add', inputs: ['mm', 'b0'], outputs: gemm.outputs, attributes: [] });
    model.graph.nodes[model.graph.nodes.length - 1] = { opType: 'Sigmoid', inputs: model.graph.nodes[model.graph.nodes.length - 1]!.inputs, outputs: ['y'], attributes: [] };
    const back = readMlp(writeOnnx(model));
    expect(back.layers[0]!.weights).toEqual(tiny.layers[0]!.weights);
    expect(back.layers[1]!.activation).toBe('hardsigmoid');
  });
});

describe('fixed point', () => {
  it('round-trips signed integers through field elements', () => {
    for (const value of [0n, 1n, -1n, 4096n, -123456789n]) expect(fromField(toField(value))).toBe(value);
  });

  it('refuses an input beyond the range the circuit is sized for', () => {
    const model = loadZkModel(MODEL_DIR);
    const tooLarge = Array.from({ length: 100 }, () => 0);
    tooLarge[7] = 1.5;
    expect(() => encodeInput(model.quantized, tooLarge)).toThrow(FixedPointRangeError);
  });
});

describe('the shipped doppel-topic-mlp', () => {
  const model = loadZkModel(MODEL_DIR);

  it('is 100 → 32 → 4 with weights on the 2^-12 grid, so the float graph and the circuit use the same numbers', () => {
    const mlp = readMlp(readFileSync(resolve(MODEL_DIR, 'model.onnx')));
    expect(mlp.layers.map((layer) => [layer.weights[0]!.length, layer.weights.length, layer.activation])).toEqual([
      [100, 32, 'relu'],
      [32, 4, 'hardsigmoid'],
    ]);
    for (const layer of mlp.layers) for (const row of layer.weights) for (const weight of row) expect(weight * 4096).toBe(Math.round(weight * 4096));
    expect(model.modelHash).toBe(JSON.parse(readFileSync(resolve(MODEL_DIR, 'config.json'), 'utf8')).modelSha256);
  });

  it('agrees with onnxruntime on the float graph within the fixed-point error, and on the top label', async () => {
    const session = await ort.InferenceSession.create(resolve(MODEL_DIR, 'model.onnx'));
    try {
      for (let seed = 1; seed <= 20; seed++) {
        const vector = unitVector(seed, 100);
        const result = await session.run({ embedding: new ort.Tensor('float32', vector, [1, 100]) });
        const float = Array.from(result.scores!.data as Float32Array);
        const fixed = fromFixed(model.quantized, evaluateFixed(model.quantized, encodeInput(model.quantized, vector)));
        fixed.forEach((value, index) => expect(Math.abs(value - float[index]!)).toBeLessThan(0.01));
        const attachment = runAttachment(model, vector);
        const floatTop = float.indexOf(Math.max(...float));
        if (Math.max(...float) - [...float].sort((a, b) => b - a)[1]! > 0.01) expect(attachment.top).toBe(model.config.labels[floatTop]);
      }
    } finally {
      await session.release();
    }
  });

  it('compiles to the same circuit source every time, with the weights as constants', () => {
    const again = circomSource(quantizeMlp(readMlp(readFileSync(resolve(MODEL_DIR, 'model.onnx'))), model.config.fixedPoint));
    expect(again).toBe(model.circuit);
    const firstWeight = model.quantized.layers[0]!.weights[0]!.find((weight) => weight !== 0n)!;
    expect(model.circuit).toContain(`${firstWeight < 0n ? '-' : ''}${firstWeight < 0n ? -firstWeight : firstWeight}*x[`);
    expect(model.circuit).toContain('component main {public [x, binding]}');
  });

  it('is still the circuit its committed keys were made for (zk/setup.json)', () => {
    const setup = JSON.parse(readFileSync(resolve(MODEL_DIR, 'zk/setup.json'), 'utf8')) as { circuitSha256: string };
    expect(model.circuitHash).toBe(setup.circuitSha256);
    expect(model.circuit).not.toMatch(/var sum\d/);
  });
});

describe('wide layers', () => {
  it('sums a row of more than 128 terms in chunks (circom2 recurses once per term), with the same terms', () => {
    const wide: Mlp = {
      inputName: 'x',
      outputName: 'y',
      inputSize: 300,
      layers: [{ weights: [Array.from({ length: 300 }, (_, index) => ((index % 7) - 3) / 64)], bias: [0.5], activation: 'relu' }],
    };
    const source = circomSource(quantizeMlp(wide, { fractionBits: 12, inputLimit: 1 }));
    const statements = source.split('\n').filter((line) => line.includes('sum0_0'));
    expect(statements[0]).toMatch(/^ {4}var sum0_0 = /);
    expect(statements.filter((line) => line.includes('sum0_0 +='))).toHaveLength(2);
    expect(statements.at(-1)).toBe('    z0[0] <== sum0_0;');
    const terms = statements.slice(0, -1).join(' ').match(/\*x\[\d+\]/g)!;
    // Every nonzero weight once: the 43 indices with index % 7 = 3 have weight 0.
    expect(terms).toHaveLength(257);
  });
});
