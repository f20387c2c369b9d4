// The settlement half of checking a receipt: is it a leaf of a batch whose root was posted on the chain?
// Offline it recomputes the leaf from the receipt and hashes the Merkle proof up to the root; with an RPC URL it
// also asks the ReceiptRegistry contract which root that batch holds, and runs the contract's own inclusion check.
import { Contract, JsonRpcProvider } from 'ethers';
import { inclusionProblems, receiptDigest, receiptLeaf, type Inclusion } from '@doppel/settlement';
import type { Receipt } from '@doppel/verification';

/** GET /receipts/:id/inclusion's body: what the check needs of it (the registry when the gateway names it). */
export type InclusionFile = Pick<Inclusion, 'receiptId' | 'batchId' | 'leafIndex' | 'leaf' | 'root' | 'proof'> & { registry?: string | null };

export interface InclusionCheck {
  included: boolean;
  onChain: boolean | null;
  reasons: string[];
}

const REGISTRY_ABI = [
  'function batchOf(uint256 batchId) view returns (bytes32 root, uint64 count, uint64 postedAtBlock)',
  'function verifyInclusion(bytes32 receiptDigest, bytes32[] proof, uint256 batchId) view returns (bool)',
];

export async function checkInclusion(receipt: Receipt, inclusion: InclusionFile, chain?: { rpcUrl: string; registry?: string }): Promise<InclusionCheck> {
  const reasons = inclusionProblems(receipt.id, receiptLeaf(receipt), inclusion);
  let onChain: boolean | null = null;
  if (chain) {
    const registry = chain.registry ?? inclusion.registry;
    if (!registry) {
      reasons.push('no ReceiptRegistry address (give --registry)');
      onChain = false;
    } else {
      const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
      try {
        const contract = new Contract(registry, REGISTRY_ABI, provider);
        const [root] = (await contract.getFunction('batchOf').staticCall(inclusion.batchId)) as [string];
        const accepted = (await contract.getFunction('verifyInclusion').staticCall(receiptDigest(receipt), inclusion.proof, inclusion.batchId)) as boolean;
        onChain = root.toLowerCase() === inclusion.root.toLowerCase() && accepted;
        if (root.toLowerCase() !== inclusion.root.toLowerCase()) reasons.push(`batch ${inclusion.batchId} on the chain has root ${root}, not ${inclusion.root}`);
        if (!accepted) reasons.push(`ReceiptRegistry.verifyInclusion refused the receipt for batch ${inclusion.batchId}`);
      } finally {
        provider.destroy();
      }
    }
  }
  return { included: reasons.length === 0, onChain, reasons };
}
