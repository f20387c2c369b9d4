// Checks a receipt without trusting whoever handed it over: signatures, signers, and (with a transcript) hashes.
// Pure: the caller supplies which node addresses it trusts, so this runs in the CLI with no database.
import { verifyTypedData } from 'ethers';
import { requirementsOf } from './levels';
import { RECEIPT_TYPES, REEXECUTION_TYPES, reexecutionOf, transcriptHashes, type Receipt, type ReceiptTranscript } from './receipt';

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
}

function recover(receipt: Receipt, signature: string): string | null {
  try {
    return verifyTypedData(receipt.domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receipt.message, signature);
  } catch {
    return null;
  }
}

export function verifyReceipt(receipt: Receipt, trusted: TrustedNodes, transcript?: ReceiptTranscript): ReceiptVerification {
  const reasons: string[] = [];
  const required = requirementsOf(receipt.message.level);
  let signer: string | null = null;
  let reexecSigner: string | null = null;

  if (required.signed) {
    if (!receipt.signatures.node) reasons.push('level requires the serving node signature, and there is none');
    else {
      signer = recover(receipt, receipt.signatures.node);
      if (!signer) reasons.push('the node signature is malformed');
      else if (signer.toLowerCase() !== receipt.message.node.toLowerCase()) {
        reasons.push(`the node signature recovers to ${signer}, not to the receipt's node ${receipt.message.node} (a field was changed, or another key signed)`);
      }
    }
  }
  if (!trusted.isTrusted(receipt.message.node)) reasons.push(`node ${receipt.message.node} is not a registered, unrevoked node`);

  if (required.reexec) {
    const cosign = receipt.signatures.reexec;
    if (!cosign) reasons.push('level requires a re-execution co-signature, and there is none');
    else {
      try {
        reexecSigner = verifyTypedData(receipt.domain, { Reexecution: [...REEXECUTION_TYPES.Reexecution] }, reexecutionOf(receipt.message, cosign.node), cosign.signature);
      } catch {
        reexecSigner = null;
      }
      if (!reexecSigner || reexecSigner.toLowerCase() !== cosign.node.toLowerCase()) {
        reasons.push(`the re-execution signature does not recover to ${cosign.node} (a field was changed, or another key signed)`);
      } else if (reexecSigner.toLowerCase() === receipt.message.node.toLowerCase()) {
        reasons.push('the re-execution was signed by the serving node itself');
      } else if (!trusted.isTrusted(reexecSigner)) {
        reasons.push(`re-executing node ${reexecSigner} is not a registered, unrevoked node`);
      }
    }
  }

  if (transcript) {
    const hashes = transcriptHashes(transcript);
    for (const field of ['inputHash', 'outputHash', 'paramsHash', 'memoriesHash'] as const) {
      if (hashes[field] !== receipt.message[field]) reasons.push(`${field} does not match the transcript (receipt ${receipt.message[field]}, transcript ${hashes[field]})`);
    }
  }
  return { valid: reasons.length === 0, reasons, signer, reexecSigner, transcriptChecked: !!transcript };
}

export function trustedSet(addresses: Iterable<string>): TrustedNodes {
  const set = new Set([...addresses].map((address) => address.toLowerCase()));
  return { isTrusted: (address) => set.has(address.toLowerCase()) };
}
