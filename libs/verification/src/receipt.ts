// The receipt: EIP-712 typed data a node signs to say what produced a reply. Every field and every hash is
// recomputable from the receipt's transcript; the encodings are documented in docs/receipts.md.
import { createHash } from 'node:crypto';
import { canonicalJson } from '@doppel/protocol';
import type { VerificationLevel } from './levels';

export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'turnId', type: 'string' },
    { name: 'conversationId', type: 'string' },
    { name: 'personaVersionHash', type: 'bytes32' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'paramsHash', type: 'bytes32' },
    { name: 'memoriesHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
    { name: 'startedAt', type: 'uint64' },
    { name: 'finishedAt', type: 'uint64' },
    { name: 'level', type: 'string' },
  ],
} as const;

/**
 * What a re-executing node signs: the fields it recomputed itself (model, input, parameters, output) for that
 * turn, and its own address. It cannot attest to the serving node's timings, so they are not in here.
 */
export const REEXECUTION_TYPES = {
  Reexecution: [
    { name: 'turnId', type: 'string' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'paramsHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
  ],
} as const;

/**
 * What the serving node signs about the persona's attached small models (docs/receipts.md, "Attached models"):
 * which turn and reply they ran on, and the hash of their results as listed in `evidence.attachments`. A separate
 * statement, so the Receipt type (and every receipt signed before attachments) stays as it was.
 */
export const ATTACHMENTS_TYPES = {
  Attachments: [
    { name: 'turnId', type: 'string' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'attachmentsHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
  ],
} as const;

/** One attached model's result on a turn, as the receipt commits to it. */
export interface AttachmentRecord {
  /** The model's name (its folder under MODELS_DIR) and sha256 (hex) of its ONNX file. */
  model: string;
  modelHash: string;
  /** sha256 (hex) of its Groth16 verification key (which circuit, so which weights, a zk proof is for). */
  verificationKeyHash: string | null;
  /** sha256 (hex) of the canonical JSON of its input, fixed-point integers as decimal strings (the reply's embedding). */
  inputHash: string;
  /** Its outputs as the circuit computes them: fixed-point integers as decimal strings. */
  output: string[];
  /** The outputs in real units, by label, and the label with the highest score. */
  scores: Record<string, number>;
  top: string;
}

export interface AttachmentsMessage {
  turnId: string;
  outputHash: string;
  attachmentsHash: string;
  node: string;
}

export function attachmentsStatementOf(message: ReceiptMessage, attachments: AttachmentRecord[]): AttachmentsMessage {
  return { turnId: message.turnId, outputHash: message.outputHash, attachmentsHash: hashCanonical(attachments), node: message.node };
}

export interface ReexecutionMessage {
  turnId: string;
  modelHash: string;
  inputHash: string;
  paramsHash: string;
  outputHash: string;
  node: string;
}

export function reexecutionOf(message: ReceiptMessage, checkingNode: string): ReexecutionMessage {
  return {
    turnId: message.turnId,
    modelHash: message.modelHash,
    inputHash: message.inputHash,
    paramsHash: message.paramsHash,
    outputHash: message.outputHash,
    node: checkingNode,
  };
}

export interface ReceiptDomain {
  name: string;
  version: string;
  chainId: number;
}

export interface ReceiptMessage {
  turnId: string;
  conversationId: string;
  personaVersionHash: string;
  modelHash: string;
  inputHash: string;
  outputHash: string;
  paramsHash: string;
  memoriesHash: string;
  node: string;
  /** Milliseconds since the Unix epoch. */
  startedAt: number;
  finishedAt: number;
  level: VerificationLevel;
}

/** Everything the hashes commit to, in the clear: what a verifier recomputes them from. */
export interface ReceiptTranscript {
  /** The exact model input: prompt token ids when the backend tokenizes, else the chat messages sent upstream. */
  input: { tokenIds: number[] } | { messages: { role: string; content: string }[] };
  output: { text: string; tokenIds: number[] | null };
  params: Record<string, unknown>;
  memories: { id: string; contentHash: string }[];
}

export interface ReceiptSignatures {
  /** The serving node's signature over the typed data (level signed). */
  node?: string;
  /** A second node that re-ran the inference and got the same output (level reexec): it signs a Reexecution. */
  reexec?: { node: string; signature: string };
  /** The serving node's signature over the Attachments statement, when the receipt lists attached models' results. */
  attachments?: string;
}

/**
 * What a level needs besides signatures, carried beside the typed data (not in it, so the EIP-712 type and every
 * receipt signed before sets stay as they were). The signed `level` says which of these must be present and pass.
 */
export interface ReceiptEvidence {
  /**
   * The node's attestation binding its signing key (docs/receipts.md, "TEE binding"): the platform's document in
   * base64, when the key was bound (ms), and what the document needs beside it (SEV-SNP VCEK, TDX collateral).
   */
  tee?: { platform: 'nitro' | 'sev-snp' | 'tdx'; document: string; boundAt: number; endorsements?: Record<string, string> };
  /** Filled by the zk level: a Groth16 proof per attached model (libs/zkml ZkEvidence). */
  zk?: Record<string, unknown>;
  /** The persona's attached small models' results on this turn; signed (signatures.attachments) and, at zk, proven. */
  attachments?: AttachmentRecord[];
}

export interface Receipt {
  id: string;
  domain: ReceiptDomain;
  types: typeof RECEIPT_TYPES;
  primaryType: 'Receipt';
  message: ReceiptMessage;
  signatures: ReceiptSignatures;
  evidence?: ReceiptEvidence;
}

/** sha256 of canonical JSON (RFC 8785-compatible for these values), as a 0x-prefixed bytes32. */
export function hashCanonical(value: unknown): string {
  return `0x${createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex')}`;
}

/** A sha256 hex content hash (persona versions, models) as bytes32. */
export function toBytes32(hexDigest: string): string {
  if (!/^[0-9a-f]{64}$/.test(hexDigest)) throw new Error(`not a sha256 hex digest: ${hexDigest}`);
  return `0x${hexDigest}`;
}

export function transcriptHashes(transcript: ReceiptTranscript) {
  return {
    inputHash: hashCanonical(transcript.input),
    outputHash: hashCanonical(transcript.output),
    paramsHash: hashCanonical(transcript.params),
    memoriesHash: hashCanonical(transcript.memories),
  };
}
