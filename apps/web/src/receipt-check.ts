// Checks a turn's EIP-712 receipt in the browser, trusting nothing the server says about it: recovers the signer
// from the signature, recomputes every transcript hash, and compares the signed output with the reply on screen.
// ethers is loaded on first use only, so it stays out of the chat view's first load. zk proofs are checked here too
// (the same pure check as the CLI's, a BN254 pairing with @noble/curves), against the verification key the server
// publishes for the model the proof names; the receipt carries that key's hash, to compare with the model's
// published zk/setup.json. Settlement too: the receipt's batch leaf is recomputed here and the gateway's Merkle proof
// hashed up to the batch root, with libs/settlement's own functions (the page has no chain RPC to read the root).
// The one canonical JSON, the server's own: a pure module with no Node imports (a copy here could drift).
import { canonicalJson } from '@doppel/protocol';
import type { InclusionProof } from '@doppel/settlement';
import type { TrustedZkModel } from '@doppel/zkml';

export interface ReceiptUnderCheck {
  receipt: {
    domain: Record<string, unknown>;
    message: Record<string, unknown>;
    signatures: { node?: string; reexec?: { node: string; signature: string }; attachments?: string };
    evidence?: { zk?: unknown; attachments?: { model: string; modelHash: string; inputHash: string; output: string[] }[] };
  };
  transcript: { input: unknown; output: { text?: string } & Record<string, unknown>; params: unknown; memories: unknown };
}

export interface ReceiptCheckResult {
  valid: boolean;
  signer: string | null;
  reexecSigner: string | null;
  problems: string[];
  /** Levels of the receipt this page checked and found proven. */
  proven: string[];
  /** Levels this page cannot check itself (tee needs X.509 and vendor roots): valid says nothing about them. */
  unchecked: string[];
}

/** What the browser checks itself; the rest of a receipt's levels are left to a verifier that can. */
const CHECKED_HERE = ['signed', 'reexec', 'zk'];

const RECEIPT_FIELDS = [
  ['turnId', 'string'],
  ['conversationId', 'string'],
  ['personaVersionHash', 'bytes32'],
  ['modelHash', 'bytes32'],
  ['inputHash', 'bytes32'],
  ['outputHash', 'bytes32'],
  ['paramsHash', 'bytes32'],
  ['memoriesHash', 'bytes32'],
  ['node', 'address'],
  ['startedAt', 'uint64'],
  ['finishedAt', 'uint64'],
  ['level', 'string'],
] as const;
const REEXECUTION_FIELDS = [
  ['turnId', 'string'],
  ['modelHash', 'bytes32'],
  ['inputHash', 'bytes32'],
  ['paramsHash', 'bytes32'],
  ['outputHash', 'bytes32'],
  ['node', 'address'],
] as const;
const ATTACHMENTS_FIELDS = [
  ['turnId', 'string'],
  ['outputHash', 'bytes32'],
  ['attachmentsHash', 'bytes32'],
  ['node', 'address'],
] as const;
const typesOf = (name: string, fields: readonly (readonly [string, string])[]) => ({ [name]: fields.map(([fieldName, type]) => ({ name: fieldName, type })) });

export async function checkReceipt(
  proof: ReceiptUnderCheck,
  expected: { turnId: string; conversationId: string; replyText: string },
  zkKey: (modelHash: string) => Promise<TrustedZkModel | null> = async () => null,
): Promise<ReceiptCheckResult> {
  const { verifyTypedData, sha256, toUtf8Bytes } = await import('ethers');
  const hash = (value: unknown) => sha256(toUtf8Bytes(canonicalJson(value)));
  const { receipt, transcript } = proof;
  const message = receipt.message;
  const problems: string[] = [];
  const level = String(message.level);
  const levels = level === 'none' ? [] : level.split('+');
  const proven: string[] = [];

  let signer: string | null = null;
  if (levels.includes('signed')) {
    const before = problems.length;
    try {
      signer = receipt.signatures.node ? verifyTypedData(receipt.domain, typesOf('Receipt', RECEIPT_FIELDS), message, receipt.signatures.node) : null;
    } catch {
      signer = null;
    }
    if (!signer) problems.push('the node signature is missing or malformed');
    else if (signer.toLowerCase() !== String(message.node).toLowerCase()) problems.push(`the signature recovers to ${signer}, not the receipt's node`);
    const attachments = receipt.evidence?.attachments;
    if (attachments) {
      const statement = { turnId: message.turnId, outputHash: message.outputHash, attachmentsHash: hash(attachments), node: message.node };
      let attachmentsSigner: string | null = null;
      try {
        attachmentsSigner = receipt.signatures.attachments ? verifyTypedData(receipt.domain, typesOf('Attachments', ATTACHMENTS_FIELDS), statement, receipt.signatures.attachments) : null;
      } catch {
        attachmentsSigner = null;
      }
      if (attachmentsSigner?.toLowerCase() !== String(message.node).toLowerCase()) problems.push('the attached models\' results are not signed by the receipt\'s node');
    }
    if (problems.length === before) proven.push('signed');
  }

  let reexecSigner: string | null = null;
  if (levels.includes('reexec')) {
    const before = problems.length;
    const cosign = receipt.signatures.reexec;
    if (!cosign) problems.push('no re-execution co-signature');
    else {
      const statement = Object.fromEntries(REEXECUTION_FIELDS.map(([fieldName]) => [fieldName, fieldName === 'node' ? cosign.node : message[fieldName]]));
      try {
        reexecSigner = verifyTypedData(receipt.domain, typesOf('Reexecution', REEXECUTION_FIELDS), statement, cosign.signature);
      } catch {
        reexecSigner = null;
      }
      if (!reexecSigner || reexecSigner.toLowerCase() !== cosign.node.toLowerCase()) problems.push('the re-execution signature does not recover to its node');
    }
    if (problems.length === before) proven.push('reexec');
  }

  if (levels.includes('zk')) {
    const { checkZkEvidence, zkKeyring } = await import('@doppel/zkml');
    const named = ((receipt.evidence?.zk as { attachments?: { modelHash?: unknown }[] } | undefined)?.attachments ?? []).map((attachment) => String(attachment.modelHash));
    const keys = (await Promise.all([...new Set(named)].map((modelHash) => zkKey(modelHash).catch(() => null)))).filter((key): key is TrustedZkModel => key !== null);
    const failures = checkZkEvidence(receipt.evidence?.zk, String(message.outputHash), zkKeyring(keys), receipt.evidence?.attachments);
    problems.push(...failures.map((failure) => `zk: ${failure}`));
    if (failures.length === 0) proven.push('zk');
  }

  const recomputed = { inputHash: hash(transcript.input), outputHash: hash(transcript.output), paramsHash: hash(transcript.params), memoriesHash: hash(transcript.memories) };
  for (const [fieldName, value] of Object.entries(recomputed)) {
    if (value !== message[fieldName]) problems.push(`${fieldName} does not match the transcript`);
  }
  if (transcript.output.text !== expected.replyText) problems.push('the signed output is not the reply shown');
  if (message.turnId !== expected.turnId) problems.push('the receipt is for another turn');
  if (message.conversationId !== expected.conversationId) problems.push('the receipt is for another conversation');
  return { valid: problems.length === 0, signer, reexecSigner, problems, proven, unchecked: levels.filter((name) => !CHECKED_HERE.includes(name)) };
}

/**
 * Why GET /receipts/:id/inclusion's answer does not prove this receipt is in its batch (empty: it does). The leaf is
 * keccak256(0x00 ‖ the receipt's EIP-712 digest), recomputed from the receipt the page holds, not taken from the server.
 */
export async function checkSettlement(receipt: ReceiptUnderCheck['receipt'], receiptId: string, inclusion: InclusionProof): Promise<string[]> {
  // Imported on use, as ethers is: a static import would pull ethers' internals into this chunk. One `await import`
  // each, destructured: the form Rollup tree-shakes (Promise.all over imports keeps all of ethers).
  const { TypedDataEncoder } = await import('ethers');
  const { leafOf, inclusionProblems } = await import('@doppel/settlement');
  let leaf: string;
  try {
    leaf = leafOf(TypedDataEncoder.hash(receipt.domain, typesOf('Receipt', RECEIPT_FIELDS), receipt.message));
  } catch (error) {
    return [`the receipt cannot be hashed: ${(error as Error).message}`];
  }
  return inclusionProblems(receiptId, leaf, inclusion);
}
