// The zk level's part of a receipt (receipt.evidence.zk) and its check. Pure, and free of Node APIs, so the verify
// CLI, the gateway and the browser all run the same code; the caller says which verification keys it trusts.
import { sha256, toUtf8Bytes } from 'ethers';
import { bindingOf, FIELD_PRIME, fromField } from './fixed-point';
import { verifyGroth16, type Groth16Proof, type Groth16VerificationKey } from './groth16-verify';

export interface ZkAttachmentProof {
  /** The attached model's name and sha256 (hex) of its ONNX file. */
  model: string;
  modelHash: string;
  /** sha256 (hex) of the verification key's canonical JSON: which circuit (so which weights) the proof is for. */
  verificationKeyHash: string;
  /** The circuit's public signals: outputs, inputs (fixed point, as field elements), then the receipt binding. */
  publicSignals: string[];
  proof: Groth16Proof;
}

export interface ZkEvidence {
  attachments: ZkAttachmentProof[];
}

/** What a verifier trusts for one model: its key, and the shape the key was made for. */
export interface TrustedZkModel {
  modelHash: string;
  verificationKey: Groth16VerificationKey;
  verificationKeyHash: string;
  inputSize: number;
  outputSize: number;
  /** Largest |input| in fixed point the circuit was sized for (beyond it integer and field arithmetic differ). */
  inputBound: string;
  labels: string[];
  fractionBits: number;
}

export interface ZkKeyring {
  byModelHash(modelHash: string): TrustedZkModel | undefined;
}

export function zkKeyring(models: TrustedZkModel[]): ZkKeyring {
  const byHash = new Map(models.map((model) => [model.modelHash, model]));
  return { byModelHash: (modelHash) => byHash.get(modelHash) };
}

/** What the receipt lists for an attached model's run (libs/verification AttachmentRecord), as far as a proof covers it. */
export interface AttachmentClaim {
  model: string;
  modelHash: string;
  inputHash: string;
  output: string[];
}

/** sha256 (hex) of the canonical JSON of a fixed-point input (decimal strings): the receipt's attachment inputHash. */
export function attachmentInputHash(input: readonly string[]): string {
  return sha256(toUtf8Bytes(JSON.stringify(input))).slice(2);
}

/** The outputs in real units, keyed by label, for display. */
export function zkScores(trusted: TrustedZkModel, publicSignals: string[]): Record<string, number> {
  return Object.fromEntries(trusted.labels.map((label, index) => [label, Number(fromField(publicSignals[index]!)) / 2 ** trusted.fractionBits]));
}

/**
 * Every reason the zk evidence does not prove its claim, in words; empty when each attached model's proof verifies
 * under a trusted key, for in-range inputs, bound to this receipt's output hash.
 */
export function checkZkEvidence(evidence: unknown, outputHash: string, keyring: ZkKeyring, claims?: readonly AttachmentClaim[]): string[] {
  const attachments = (evidence as ZkEvidence | undefined)?.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) return ['the receipt carries no zk proof'];
  const reasons: string[] = [];
  const expectedBinding = bindingOf(outputHash).toString();
  for (const attachment of attachments) {
    const name = `${attachment.model} (${String(attachment.modelHash).slice(0, 12)}…)`;
    const trusted = keyring.byModelHash(attachment.modelHash);
    if (!trusted) {
      reasons.push(`${name}: no trusted verification key for this model`);
      continue;
    }
    if (attachment.verificationKeyHash !== trusted.verificationKeyHash) {
      reasons.push(`${name}: proven under key ${String(attachment.verificationKeyHash).slice(0, 12)}…, the trusted key is ${trusted.verificationKeyHash.slice(0, 12)}…`);
      continue;
    }
    const signals = attachment.publicSignals;
    if (!Array.isArray(signals) || signals.length !== trusted.outputSize + trusted.inputSize + 1) {
      reasons.push(`${name}: ${Array.isArray(signals) ? signals.length : 0} public signals, the circuit has ${trusted.outputSize + trusted.inputSize + 1}`);
      continue;
    }
    if (signals[signals.length - 1] !== expectedBinding) {
      reasons.push(`${name}: the proof is bound to another receipt (its binding is not this receipt's output hash)`);
      continue;
    }
    const bound = BigInt(trusted.inputBound);
    const outside = signals.slice(trusted.outputSize, -1).findIndex((signal) => {
      try {
        const value = fromField(signal);
        return value > bound || value < -bound;
      } catch {
        return true;
      }
    });
    if (outside >= 0) {
      reasons.push(`${name}: input ${outside} is outside the range the circuit was sized for`);
      continue;
    }
    if (signals.some((signal) => !/^\d+$/.test(signal) || BigInt(signal) >= FIELD_PRIME)) {
      reasons.push(`${name}: a public signal is not a field element`);
      continue;
    }
    if (!verifyGroth16(trusted.verificationKey, signals, attachment.proof)) reasons.push(`${name}: the Groth16 proof does not verify`);
  }
  reasons.push(...checkClaims(attachments, keyring, claims ?? []));
  return reasons;
}

/** Every result the receipt lists must be the one its proof proves: same outputs, same input. */
function checkClaims(attachments: ZkAttachmentProof[], keyring: ZkKeyring, claims: readonly AttachmentClaim[]): string[] {
  const reasons: string[] = [];
  for (const claim of claims) {
    const name = `${claim.model} (${String(claim.modelHash).slice(0, 12)}…)`;
    const proven = attachments.find((attachment) => attachment.modelHash === claim.modelHash);
    const trusted = keyring.byModelHash(claim.modelHash);
    if (!proven || !trusted || !Array.isArray(proven.publicSignals)) {
      reasons.push(`${name}: the receipt lists its result, and there is no proof of it`);
      continue;
    }
    try {
      const output = proven.publicSignals.slice(0, trusted.outputSize).map((signal) => fromField(signal).toString());
      const input = proven.publicSignals.slice(trusted.outputSize, -1).map((signal) => fromField(signal).toString());
      if (!Array.isArray(claim.output) || output.join() !== claim.output.map(String).join()) reasons.push(`${name}: the listed output is not the proven output`);
      if (attachmentInputHash(input) !== claim.inputHash) reasons.push(`${name}: the listed input hash is not the proven input's`);
    } catch {
      reasons.push(`${name}: a public signal is not a field element`);
    }
  }
  return reasons;
}

/** The zk level's check in the shape the receipt verifier takes for a level (verifyReceipt's options.checks.zk). */
export function zkLevelCheck(keyring: ZkKeyring) {
  return (receipt: { message: { outputHash: string }; evidence?: { zk?: unknown; attachments?: readonly AttachmentClaim[] } }): string[] =>
    checkZkEvidence(receipt.evidence?.zk, receipt.message.outputHash, keyring, receipt.evidence?.attachments);
}
