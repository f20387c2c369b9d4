// The offline half of checking a receipt's settlement, shared by the verify CLI and the web app (through
// browser.ts, so it must stay browser-safe: ./merkle and nothing with Node in it). Given the leaf the checker
// recomputed from the receipt itself, it says what is wrong with GET /receipts/:id/inclusion's answer, if anything.
import { verifyProof } from './merkle';

/** The part of GET /receipts/:id/inclusion's body the proof check reads. */
export interface InclusionProof {
  receiptId: string;
  batchId: string;
  leaf: string;
  root: string;
  proof: string[];
}

/** A settled receipt's place in its batch, as GET /receipts/:id/inclusion answers it (with the registry's address). */
export interface Inclusion extends InclusionProof {
  leafIndex: number;
  receiptCount: number;
  /** The batch's postBatch transaction; null until it is posted. */
  txHash: string | null;
  blockNumber: number | null;
}

/** Empty when `inclusion` hashes this receipt's leaf up to its root; otherwise why not, one line each. */
export function inclusionProblems(receiptId: string, leaf: string, inclusion: InclusionProof): string[] {
  const problems: string[] = [];
  if (inclusion.receiptId !== receiptId) problems.push(`the inclusion proof is for receipt ${inclusion.receiptId}, not ${receiptId}`);
  if (String(inclusion.leaf).toLowerCase() !== leaf.toLowerCase()) problems.push(`the batch's leaf ${inclusion.leaf} is not this receipt's (${leaf})`);
  let proofHolds = false;
  try {
    proofHolds = Array.isArray(inclusion.proof) && verifyProof(leaf, inclusion.proof, String(inclusion.root));
  } catch (error) {
    problems.push(`the inclusion proof is malformed: ${(error as Error).message}`);
  }
  if (!proofHolds) problems.push(`the Merkle proof does not hash this receipt's leaf up to root ${inclusion.root}`);
  return problems;
}
