// The integer semantics of a model under zk: weights and activations are integers at scale 2^F, products at 2^2F,
// and every layer rescales with a floor division. This evaluator and the generated circuit compute the same
// function bit for bit; the result a turn records is this one, so a proof, a re-execution and the record agree.
import type { Activation, Mlp } from './mlp';

/** The BN254 scalar field: circom's default prime and the field of every signal. */
export const FIELD_PRIME = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export interface QuantizedLayer {
  weights: bigint[][];
  bias: bigint[];
  activation: Activation;
  /** Width of the signed decomposition of the pre-activation: |z| < 2^(bits-1) for every admissible input. */
  bits: number;
  /** HardSigmoid only: width of the decomposition used to clamp to [0, 1]. */
  clampBits: number;
}

export interface QuantizedMlp {
  fractionBits: number;
  /** Largest |input| in fixed point that the circuit is sized for; verifiers refuse inputs beyond it. */
  inputBound: bigint;
  inputSize: number;
  outputSize: number;
  layers: QuantizedLayer[];
}

export interface QuantizeOptions {
  /** F: values are integers at scale 2^F. */
  fractionBits?: number;
  /** The largest |x| of an input component, in real units (an L2-normalised embedding: 1). */
  inputLimit?: number;
}

export class FixedPointRangeError extends Error {
  override readonly name = 'FixedPointRangeError';
}

export const DEFAULT_FRACTION_BITS = 12;

const abs = (value: bigint) => (value < 0n ? -value : value);
const bitLength = (value: bigint) => value.toString(2).length;
const max = (values: bigint[]) => values.reduce((best, value) => (value > best ? value : best), 0n);

export function toFixed(value: number, fractionBits: number): bigint {
  if (!Number.isFinite(value)) throw new FixedPointRangeError(`not a finite number: ${value}`);
  return BigInt(Math.round(value * 2 ** fractionBits));
}

export function quantizeMlp(mlp: Mlp, options: QuantizeOptions = {}): QuantizedMlp {
  const fractionBits = options.fractionBits ?? DEFAULT_FRACTION_BITS;
  const inputBound = toFixed(options.inputLimit ?? 1, fractionBits);
  let inBound = inputBound;
  const layers = mlp.layers.map((layer): QuantizedLayer => {
    const weights = layer.weights.map((row) => row.map((weight) => toFixed(weight, fractionBits)));
    const bias = layer.bias.map((value) => toFixed(value, 2 * fractionBits));
    const zMax = max(weights.map((row, index) => row.reduce((sum, weight) => sum + abs(weight) * inBound, abs(bias[index]!))));
    const bits = Math.max(bitLength(zMax) + 1, fractionBits + 3);
    let clampBits = 0;
    if (layer.activation === 'relu') inBound = zMax >> BigInt(fractionBits);
    else if (layer.activation === 'none') inBound = (zMax >> BigInt(fractionBits)) + 1n;
    else {
      const one = 1n << BigInt(fractionBits);
      const uMax = (zMax >> BigInt(fractionBits + 2)) + 1n + (one >> 1n);
      clampBits = bitLength(uMax > one ? uMax : one) + 1;
      inBound = one;
    }
    if (bits > 250) throw new FixedPointRangeError(`a layer needs ${bits} bits: the weights are too large for the field`);
    return { weights, bias, activation: layer.activation, bits, clampBits };
  });
  return { fractionBits, inputBound, inputSize: mlp.inputSize, outputSize: mlp.layers[mlp.layers.length - 1]!.weights.length, layers };
}

export function encodeInput(model: QuantizedMlp, values: ArrayLike<number>): bigint[] {
  if (values.length !== model.inputSize) throw new FixedPointRangeError(`the model takes ${model.inputSize} inputs, got ${values.length}`);
  const encoded = Array.from(values, (value) => toFixed(value, model.fractionBits));
  checkInput(model, encoded);
  return encoded;
}

export function checkInput(model: QuantizedMlp, input: bigint[]): void {
  if (input.length !== model.inputSize) throw new FixedPointRangeError(`the model takes ${model.inputSize} inputs, got ${input.length}`);
  const outside = input.findIndex((value) => abs(value) > model.inputBound);
  if (outside >= 0) throw new FixedPointRangeError(`input ${outside} is ${input[outside]}, beyond ±${model.inputBound} (the circuit's range)`);
}

/** Runs the model in fixed point; the outputs are integers at scale 2^F. */
export function evaluateFixed(model: QuantizedMlp, input: bigint[]): bigint[] {
  checkInput(model, input);
  const shift = BigInt(model.fractionBits);
  const one = 1n << shift;
  let values = input;
  for (const layer of model.layers) {
    const limit = 1n << BigInt(layer.bits - 1);
    values = layer.weights.map((row, index) => {
      const z = row.reduce((sum, weight, column) => sum + weight * values[column]!, layer.bias[index]!);
      if (abs(z) >= limit) throw new FixedPointRangeError(`pre-activation ${z} outside the layer's ${layer.bits}-bit range`);
      if (layer.activation === 'relu') return z >= 0n ? z >> shift : 0n;
      if (layer.activation === 'none') return z >> shift;
      const u = (z >> (shift + 2n)) + (one >> 1n);
      return u < 0n ? 0n : u > one ? one : u;
    });
  }
  return values;
}

export function fromFixed(model: QuantizedMlp, values: bigint[]): number[] {
  return values.map((value) => Number(value) / 2 ** model.fractionBits);
}

/** A signed integer as the field element circom uses for it. */
export function toField(value: bigint): string {
  return (((value % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME).toString();
}

/** A field element back to the signed integer it stands for (elements above p/2 are negative). */
export function fromField(element: string): bigint {
  const value = BigInt(element);
  if (value < 0n || value >= FIELD_PRIME) throw new FixedPointRangeError(`not a field element: ${element}`);
  return value > FIELD_PRIME / 2n ? value - FIELD_PRIME : value;
}

/** A 32-byte hash (0x-hex) as the circuit's `binding` input: the number reduced into the field. */
export function bindingOf(hash: string): bigint {
  if (!/^0x[0-9a-f]{64}$/i.test(hash)) throw new FixedPointRangeError(`not a 32-byte hash: ${hash}`);
  return BigInt(hash) % FIELD_PRIME;
}

/** Groth16 public signals of the generated circuit: the outputs, the inputs, then the binding. */
export function publicSignalsOf(input: bigint[], output: bigint[], binding: bigint): string[] {
  return [...output, ...input, binding].map(toField);
}

/** The prover's input file for the generated circuit. */
export function witnessInputOf(input: bigint[], binding: bigint): { x: string[]; binding: string } {
  return { x: input.map(toField), binding: toField(binding) };
}

/** Splits the public signals back into signed outputs and inputs and the binding. */
export function splitPublicSignals(model: QuantizedMlp, signals: string[]): { output: bigint[]; input: bigint[]; binding: bigint } {
  if (signals.length !== model.outputSize + model.inputSize + 1) throw new FixedPointRangeError(`expected ${model.outputSize + model.inputSize + 1} public signals, got ${signals.length}`);
  const values = signals.map(fromField);
  return { output: values.slice(0, model.outputSize), input: values.slice(model.outputSize, -1), binding: BigInt(signals[signals.length - 1]!) };
}
