// Checks a receipt without trusting whoever handed it over: signatures, signers, and (with a transcript) hashes.
// Pure: the caller supplies which node addresses it trusts, so this runs in the CLI with no database.
import { verifyTypedData } from 'ethers';
import { labelOf, levelsOf, type Level } from './levels';
import { ATTACHMENTS_TYPES, attachmentsStatementOf, RECEIPT_TYPES, REEXECUTION_TYPES, reexecutionOf, transcriptHashes, type Receipt, type ReceiptTranscript } from './receipt';

export interface TrustedNodes {
  /** Lowercased addresses of registered, non-revoked nodes. */
  isTrusted(address: string): boolean;
}

export interface ReceiptVerification {
  valid: boolean;
  /** Each failed check, in words. Empty when valid. */
  reasons: string[];
  signer: string | null;
  reexecSigner: string | null;
  transcriptChecked: boolean;
  /** The levels the receipt claims (its signed `level`), in canonical order. */
  claimed: Level[];
  /** The claimed levels whose own check passed; valid means every claimed level is here and nothing else failed. */
  proven: Level[];
}

/**
 * Checks one level's own evidence (the attestation for tee, the proof for zk) and says what is wrong, in words;
 * an empty list means proven. Levels whose check needs more than ethers (X.509, a zk verifier) are supplied by the
 * caller, so this module stays loadable anywhere; a claimed level with no checker is reported, never passed.
 */
export type LevelCheck = (receipt: Receipt) => string[] | Promise<string[]>;

export interface VerifyOptions {
  checks?: Partial<Record<Level, LevelCheck>>;
}

function recover(receipt: Receipt, signature: string): string | null {
  try {
    return verifyTypedData(receipt.domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receipt.message, signature);
  } catch {
    return null;
  }
}

export async function verifyReceipt(receipt: Receipt, trusted: TrustedNodes, transcript?: ReceiptTranscript, options: VerifyOptions = {}): Promise<ReceiptVerification> {
  const reasons: string[] = [];
  let claimed: Level[] = [];
  try {
    claimed = levelsOf(receipt.message.level);
    // One set, one label: anything else was not written by a Doppel node.
    if (labelOf(claimed) !== receipt.message.level) reasons.push(`level "${receipt.message.level}" is not a canonical level set (it would be "${labelOf(claimed)}")`);
  } catch (error) {
    reasons.push((error as Error).message);
  }
  const proven: Level[] = [];
  let signer: string | null = null;
  let reexecSigner: string | null = null;

  for (const level of claimed) {
    const failures: string[] = [];
    if (level === 'signed') {
      signer = checkNodeSignature(receipt, failures);
      checkAttachmentsSignature(receipt, failures);
    } else if (level === 'reexec') {
      reexecSigner = checkReexecution(receipt, trusted, failures);
    } else {
      const check = options.checks?.[level];
      if (!check) failures.push(`level ${level} is claimed, and this verifier has no ${level} check (it cannot be proven here)`);
      else failures.push(...(await check(receipt)).map((reason) => `${level}: ${reason}`));
    }
    if (failures.length === 0) proven.push(level);
    reasons.push(...failures);
  }
  if (!trusted.isTrusted(receipt.message.node)) reasons.push(`node ${receipt.message.node} is not a registered, unrevoked node`);

  if (transcript) {
    const hashes = transcriptHashes(transcript);
    for (const field of ['inputHash', 'outputHash', 'paramsHash', 'memoriesHash'] as const) {
      if (hashes[field] !== receipt.message[field]) reasons.push(`${field} does not match the transcript (receipt ${receipt.message[field]}, transcript ${hashes[field]})`);
    }
  }
  return { valid: reasons.length === 0, reasons, signer, reexecSigner, transcriptChecked: !!transcript, claimed, proven };
}

function checkNodeSignature(receipt: Receipt, failures: string[]): string | null {
  if (!receipt.signatures.node) {
    failures.push('level requires the serving node signature, and there is none');
    return null;
  }
  const signer = recover(receipt, receipt.signatures.node);
  if (!signer) failures.push('the node signature is malformed');
  else if (signer.toLowerCase() !== receipt.message.node.toLowerCase()) {
    failures.push(`the node signature recovers to ${signer}, not to the receipt's node ${receipt.message.node} (a field was changed, or another key signed)`);
  }
  return signer;
}

/** Attached models' results ride beside the typed data; at level signed the node signs them in an Attachments statement. */
function checkAttachmentsSignature(receipt: Receipt, failures: string[]): void {
  const attachments = receipt.evidence?.attachments;
  if (attachments === undefined) {
    if (receipt.signatures.attachments) failures.push('the receipt has an attachments signature and no attachments');
    return;
  }
  if (!receipt.signatures.attachments) {
    failures.push('the receipt lists attached models\' results, and the node did not sign them');
    return;
  }
  let attachmentsSigner: string | null;
  try {
    attachmentsSigner = verifyTypedData(receipt.domain, { Attachments: [...ATTACHMENTS_TYPES.Attachments] }, attachmentsStatementOf(receipt.message, attachments), receipt.signatures.attachments);
  } catch {
    attachmentsSigner = null;
  }
  if (!attachmentsSigner || attachmentsSigner.toLowerCase() !== receipt.message.node.toLowerCase()) {
    failures.push('the attachments signature does not recover to the receipt\'s node (an attached model\'s result was changed, or another key signed)');
  }
}

function checkReexecution(receipt: Receipt, trusted: TrustedNodes, failures: string[]): string | null {
  const cosign = receipt.signatures.reexec;
  if (!cosign) {
    failures.push('level requires a re-execution co-signature, and there is none');
    return null;
  }
  let reexecSigner: string | null;
  try {
    reexecSigner = verifyTypedData(receipt.domain, { Reexecution: [...REEXECUTION_TYPES.Reexecution] }, reexecutionOf(receipt.message, cosign.node), cosign.signature);
  } catch {
    reexecSigner = null;
  }
  if (!reexecSigner || reexecSigner.toLowerCase() !== cosign.node.toLowerCase()) {
    failures.push(`the re-execution signature does not recover to ${cosign.node} (a field was changed, or another key signed)`);
  } else if (reexecSigner.toLowerCase() === receipt.message.node.toLowerCase()) {
    failures.push('the re-execution was signed by the serving node itself');
  } else if (!trusted.isTrusted(reexecSigner)) {
    failures.push(`re-executing node ${reexecSigner} is not a registered, unrevoked node`);
  }
  return reexecSigner;
}

export function trustedSet(addresses: Iterable<string>): TrustedNodes {
  const set = new Set([...addresses].map((address) => address.toLowerCase()));
  return { isTrusted: (address) => set.has(address.toLowerCase()) };
}
