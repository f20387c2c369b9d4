// A zk-capable model on disk: models/<name>/ with config.json (labels, fixed-point settings), model.onnx, and zk/
// with the verification key (and, where this node proves, the proving key). Loading it gives what a turn needs to
// run the model in fixed point, and what a verifier needs to check a proof for it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { circomSource, sha256Hex } from './circom-source';
import { encodeInput, evaluateFixed, fromFixed, quantizeMlp, type QuantizedMlp } from './fixed-point';
import type { Groth16VerificationKey } from './groth16-verify';
import { readMlp } from './mlp';
import { compileCircuit, type CompiledCircuit } from './prover-cli';
import type { TrustedZkModel } from './zk-evidence';

export interface ZkModelConfig {
  name: string;
  task: string;
  input: { kind: 'reply-embedding'; embeddingModel: string; dimensions: number };
  labels: string[];
  fixedPoint: { fractionBits: number; inputLimit: number };
}

export interface ZkModel {
  name: string;
  dir: string;
  config: ZkModelConfig;
  /** sha256 (hex) of model.onnx: the model's identity in receipts and turn records. */
  modelHash: string;
  quantized: QuantizedMlp;
  /** The circuit's source; its sha256 names the circuit. */
  circuit: string;
  circuitHash: string;
  /** Absent when the model has no zk setup yet (it still runs; it cannot be proven). */
  verificationKey: Groth16VerificationKey | null;
  /** sha256 (hex) of the verification key file's canonical JSON. */
  verificationKeyHash: string | null;
  zkeyPath: string | null;
}

export interface AttachmentResult {
  model: string;
  modelHash: string;
  /** Inputs and outputs as integers at scale 2^F (decimal strings), as the circuit sees them. */
  input: string[];
  output: string[];
  /** Outputs in real units, one per label. */
  scores: Record<string, number>;
  /** The label with the highest score. */
  top: string;
}

export class ZkModelError extends Error {
  override readonly name = 'ZkModelError';
}

/** Key order fixed, so the hash is the same whoever wrote the file. */
export function verificationKeyHash(key: Groth16VerificationKey): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])])) : value;
  return sha256Hex(JSON.stringify(canonical(key)));
}

export function loadZkModel(dir: string): ZkModel {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new ZkModelError(`${dir} has no config.json`);
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ZkModelConfig;
  const onnx = readFileSync(join(dir, 'model.onnx'));
  const quantized = quantizeMlp(readMlp(onnx), config.fixedPoint);
  if (quantized.outputSize !== config.labels.length) throw new ZkModelError(`${config.name}: ${quantized.outputSize} outputs for ${config.labels.length} labels`);
  if (quantized.inputSize !== config.input.dimensions) throw new ZkModelError(`${config.name}: takes ${quantized.inputSize} inputs, config says ${config.input.dimensions}`);
  const circuit = circomSource(quantized);
  const keyPath = join(dir, 'zk', 'verification_key.json');
  const verificationKey = existsSync(keyPath) ? (JSON.parse(readFileSync(keyPath, 'utf8')) as Groth16VerificationKey) : null;
  const zkeyPath = join(dir, 'zk', 'model.zkey');
  return {
    name: config.name,
    dir,
    config,
    modelHash: sha256Hex(onnx),
    quantized,
    circuit,
    circuitHash: sha256Hex(circuit),
    verificationKey,
    verificationKeyHash: verificationKey ? verificationKeyHash(verificationKey) : null,
    zkeyPath: existsSync(zkeyPath) ? zkeyPath : null,
  };
}

/** Runs the attachment on one vector, in the circuit's fixed point. */
export function runAttachment(model: ZkModel, vector: ArrayLike<number>): AttachmentResult {
  const input = encodeInput(model.quantized, vector);
  const output = evaluateFixed(model.quantized, input);
  const real = fromFixed(model.quantized, output);
  const scores = Object.fromEntries(model.config.labels.map((label, index) => [label, real[index]!]));
  let top = 0;
  real.forEach((value, index) => {
    if (value > real[top]!) top = index;
  });
  return { model: model.name, modelHash: model.modelHash, input: input.map(String), output: output.map(String), scores, top: model.config.labels[top]! };
}

/** Compiles the model's circuit once per circuit hash into cacheDir (circom2, through the prover). */
export async function compiledCircuit(model: ZkModel, proverDir: string, cacheDir: string): Promise<CompiledCircuit> {
  const dir = join(cacheDir, `${model.name}-${model.circuitHash.slice(0, 16)}`);
  const manifest = join(dir, 'compiled.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as CompiledCircuit;
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'circuit.circom');
  writeFileSync(source, model.circuit);
  const compiled = await compileCircuit(proverDir, source, dir);
  writeFileSync(manifest, JSON.stringify(compiled));
  return compiled;
}


/** What a verifier needs to trust this model's proofs (see zk-evidence.ts); null without a zk setup. */
export function trustedZkModel(model: ZkModel): TrustedZkModel | null {
  if (!model.verificationKey || !model.verificationKeyHash) return null;
  return {
    modelHash: model.modelHash,
    verificationKey: model.verificationKey,
    verificationKeyHash: model.verificationKeyHash,
    inputSize: model.quantized.inputSize,
    outputSize: model.quantized.outputSize,
    inputBound: model.quantized.inputBound.toString(),
    labels: model.config.labels,
    fractionBits: model.quantized.fractionBits,
  };
}

/** Every model under modelsDir with a zk setup (config.json and zk/verification_key.json), as trusted keys. */
export function trustedZkModelsIn(modelsDir: string): TrustedZkModel[] {
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(modelsDir, entry.name, 'config.json')) && existsSync(join(modelsDir, entry.name, 'zk', 'verification_key.json')))
    .flatMap((entry) => {
      const trusted = trustedZkModel(loadZkModel(join(modelsDir, entry.name)));
      return trusted ? [trusted] : [];
    });
}

const attachable = new Map<string, ZkModel>();

/**
 * The model a persona may attach by this name: a folder under modelsDir with config.json, model.onnx (an MLP the
 * circuit compiler takes) and a zk setup (zk/verification_key.json), so every level, zk included, can cover it.
 * Loaded once per process. Throws ZkModelError saying what is missing.
 */
export function attachableModel(modelsDir: string, name: string): ZkModel {
  const dir = join(modelsDir, name);
  const cached = attachable.get(dir);
  if (cached) return cached;
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name) || !existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'model.onnx'))) {
    throw new ZkModelError(`${name} is not an attachable model: there is no ${name}/config.json with a model.onnx under the models directory`);
  }
  let model: ZkModel;
  try {
    model = loadZkModel(dir);
  } catch (error) {
    throw new ZkModelError(`${name} cannot be attached: ${(error as Error).message}`);
  }
  if (model.config.input?.kind !== 'reply-embedding') throw new ZkModelError(`${name} cannot be attached: it takes ${model.config.input?.kind ?? 'an unknown input'}, and attached models read the reply's embedding`);
  if (!model.verificationKey) throw new ZkModelError(`${name} cannot be attached: it has no zk setup (npm run zk:setup -- models/${name})`);
  attachable.set(dir, model);
  return model;
}
