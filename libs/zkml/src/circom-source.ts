// Writes a quantized model as a circom 2 circuit with its weights as constants, so the circuit (and so the
// verification key) identifies the model. Public signals: the outputs, the inputs, then the binding. Each pre-activation is
// decomposed into bits once: the bits give the floor division by 2^F and the sign that Relu and the clamp need.
// The templates are written here (no circomlib), which keeps the generated source Apache-2.0 like this file.
import { createHash } from 'node:crypto';
import type { QuantizedLayer, QuantizedMlp } from './fixed-point';

const TEMPLATES = `pragma circom 2.1.0;

// in + 2^(B-1) as B bits: proves -2^(B-1) <= in < 2^(B-1); bits[B-1] is 1 exactly when in >= 0.
template SignedBits(B) {
    signal input in;
    signal output bits[B];
    var sum = 0;
    for (var k = 0; k < B; k++) {
        bits[k] <-- ((in + 2 ** (B - 1)) >> k) & 1;
        bits[k] * (bits[k] - 1) === 0;
        sum += bits[k] * 2 ** k;
    }
    sum === in + 2 ** (B - 1);
}

// relu(floor(in / 2^F))
template ReluFloor(B, F) {
    signal input in;
    signal output out;
    component split = SignedBits(B);
    split.in <== in;
    var magnitude = 0;
    for (var k = F; k < B - 1; k++) magnitude += split.bits[k] * 2 ** (k - F);
    out <== split.bits[B - 1] * magnitude;
}

// floor(in / 2^F)
template Floor(B, F) {
    signal input in;
    signal output out;
    component split = SignedBits(B);
    split.in <== in;
    var shifted = 0;
    for (var k = F; k < B; k++) shifted += split.bits[k] * 2 ** (k - F);
    out <== shifted - 2 ** (B - 1 - F);
}

// clamp(floor(in / 2^(F+2)) + 2^(F-1), 0, 2^F): ONNX HardSigmoid(alpha=0.25, beta=0.5) at scale 2^F.
template HardSigmoid(B, F, C) {
    signal input in;
    signal output out;
    component quarter = Floor(B, F + 2);
    quarter.in <== in;
    signal u;
    u <== quarter.out + 2 ** (F - 1);
    component low = SignedBits(C);
    low.in <== u;
    signal positive;
    positive <== low.bits[C - 1] * u;
    component high = SignedBits(C);
    high.in <== positive - 2 ** F;
    out <== positive - high.bits[C - 1] * (positive - 2 ** F);
}
`;

/**
 * circom2's wasm build evaluates a sum recursively, one frame per term, and runs out of stack a little past a few
 * hundred terms; longer rows are summed in chunks of this many terms through a var. Rows up to this long (every
 * row of the shipped model) are written as one expression, so their circuits, and keys, are unchanged.
 */
const TERMS_PER_EXPRESSION = 128;

function joinTerms(terms: string[]): string {
  const joined = terms.join(' ');
  return joined.startsWith('+ ') ? joined.slice(2) : `-${joined.slice(2)}`;
}

function linearTerms(weights: bigint[], bias: bigint, source: string): string[] {
  const terms = weights.flatMap((weight, index) => (weight === 0n ? [] : [`${weight < 0n ? '- ' : '+ '}${weight < 0n ? -weight : weight}*${source}[${index}]`]));
  if (bias !== 0n || terms.length === 0) terms.push(`${bias < 0n ? '- ' : '+ '}${bias < 0n ? -bias : bias}`);
  return terms;
}

/** The statements that set `target` to the row's linear combination. */
function assignLinear(target: string, accumulator: string, weights: bigint[], bias: bigint, source: string): string[] {
  const terms = linearTerms(weights, bias, source);
  if (terms.length <= TERMS_PER_EXPRESSION) return [`    ${target} <== ${joinTerms(terms)};`];
  const lines: string[] = [];
  for (let start = 0; start < terms.length; start += TERMS_PER_EXPRESSION) {
    const chunk = joinTerms(terms.slice(start, start + TERMS_PER_EXPRESSION));
    lines.push(start === 0 ? `    var ${accumulator} = ${chunk};` : `    ${accumulator} += ${chunk};`);
  }
  lines.push(`    ${target} <== ${accumulator};`);
  return lines;
}

function activation(layer: QuantizedLayer, fractionBits: number): string {
  if (layer.activation === 'relu') return `ReluFloor(${layer.bits}, ${fractionBits})`;
  if (layer.activation === 'none') return `Floor(${layer.bits}, ${fractionBits})`;
  return `HardSigmoid(${layer.bits}, ${fractionBits}, ${layer.clampBits})`;
}

export function circomSource(model: QuantizedMlp, templateName = 'Model'): string {
  const lines = [
    TEMPLATES,
    `template ${templateName}() {`,
    `    signal input x[${model.inputSize}];`,
    // Ties a proof to one receipt (its output hash, reduced into the field). Squared so that the input sits in a
    // constraint: an input in none has a zero term in the key and could be swapped without breaking the proof.
    `    signal input binding;`,
    `    signal bindingSquared;`,
    `    bindingSquared <== binding * binding;`,
    `    signal output y[${model.outputSize}];`,
  ];
  let source = 'x';
  model.layers.forEach((layer, index) => {
    const width = layer.weights.length;
    const last = index === model.layers.length - 1;
    const out = last ? 'y' : `a${index}`;
    lines.push(`    signal z${index}[${width}];`, `    component act${index}[${width}];`);
    if (!last) lines.push(`    signal ${out}[${width}];`);
    layer.weights.forEach((row, neuron) => {
      lines.push(...assignLinear(`z${index}[${neuron}]`, `sum${index}_${neuron}`, row, layer.bias[neuron]!, source));
    });
    lines.push(
      `    for (var j = 0; j < ${width}; j++) {`,
      `        act${index}[j] = ${activation(layer, model.fractionBits)};`,
      `        act${index}[j].in <== z${index}[j];`,
      `        ${out}[j] <== act${index}[j].out;`,
      `    }`,
    );
    source = out;
  });
  lines.push('}', '', `component main {public [x, binding]} = ${templateName}();`, '');
  return lines.join('\n');
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
