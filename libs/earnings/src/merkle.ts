// The Merkle tree of cumulative earnings that NodePayouts checks claims against. Leaves and pair hashing are the
// contract's (contracts/NodePayouts.sol): leaf = keccak256(keccak256(abi.encode(address, uint256))), a parent
// hashes its two children in ascending order, so a proof is just the siblings from leaf to root.
import { AbiCoder, concat, keccak256 } from 'ethers';

export interface PayoutLeaf {
  node: string;
  cumulativeWei: bigint;
}

export interface PayoutTree {
  root: string;
  /** Proof per node address (lowercase). */
  proofs: Map<string, string[]>;
}

const coder = AbiCoder.defaultAbiCoder();

export const payoutLeafHash = (leaf: PayoutLeaf): string => keccak256(keccak256(coder.encode(['address', 'uint256'], [leaf.node, leaf.cumulativeWei])));

const hashPair = (a: string, b: string): string => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));

export function buildPayoutTree(leaves: PayoutLeaf[]): PayoutTree {
  if (leaves.length === 0) throw new Error('a payout tree needs at least one leaf');
  const nodes = leaves.map((leaf) => leaf.node.toLowerCase());
  if (new Set(nodes).size !== nodes.length) throw new Error('a payout tree has one leaf per node');
  // Level 0 in a fixed order (by leaf hash) so that the same earnings always give the same root.
  let level = leaves.map((leaf) => ({ hash: payoutLeafHash(leaf), members: [leaf.node.toLowerCase()] })).sort((a, b) => (BigInt(a.hash) < BigInt(b.hash) ? -1 : 1));
  const proofs = new Map<string, string[]>(nodes.map((node) => [node, []]));
  while (level.length > 1) {
    const next: typeof level = [];
    for (let index = 0; index < level.length; index += 2) {
      const left = level[index]!;
      const right = level[index + 1];
      // An odd node out goes up unchanged.
      if (!right) {
        next.push(left);
        continue;
      }
      for (const member of left.members) proofs.get(member)!.push(right.hash);
      for (const member of right.members) proofs.get(member)!.push(left.hash);
      next.push({ hash: hashPair(left.hash, right.hash), members: [...left.members, ...right.members] });
    }
    level = next;
  }
  return { root: level[0]!.hash, proofs };
}

export function verifyPayoutProof(root: string, leaf: PayoutLeaf, proof: string[]): boolean {
  return proof.reduce((hash, sibling) => hashPair(hash, sibling), payoutLeafHash(leaf)) === root;
}
