// The receipt batch tree (contracts/ReceiptRegistry.sol): sorted-pair keccak256 with a prefix byte per node kind.
import { concat, getBytes, keccak256 } from 'ethers';

const LEAF_PREFIX = '0x00';
const NODE_PREFIX = '0x01';

export class MerkleTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MerkleTreeError';
  }
}

function bytes32(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new MerkleTreeError(`${what} is not a 0x-prefixed bytes32: ${value}`);
  return value.toLowerCase();
}

/** keccak256(0x00 ‖ receiptDigest): the leaf a receipt's EIP-712 digest takes in a batch. */
export function leafOf(receiptDigest: string): string {
  return keccak256(concat([LEAF_PREFIX, getBytes(bytes32(receiptDigest, 'receipt digest'))]));
}

/** keccak256(0x01 ‖ min ‖ max). */
export function hashPair(a: string, b: string): string {
  const [low, high] = a < b ? [a, b] : [b, a];
  return keccak256(concat([NODE_PREFIX, getBytes(low), getBytes(high)]));
}

export interface MerkleTree {
  root: string;
  /** The leaves in the order given (leaf index = position). */
  leaves: string[];
  proof(index: number): string[];
}

/** A tree over leaves (already hashed with leafOf). A level's odd node out is carried up unchanged. */
export function buildTree(leaves: string[]): MerkleTree {
  if (leaves.length === 0) throw new MerkleTreeError('a batch needs at least one leaf');
  const levels: string[][] = [leaves.map((leaf) => bytes32(leaf, 'leaf'))];
  while (levels[levels.length - 1]!.length > 1) {
    const below = levels[levels.length - 1]!;
    const above: string[] = [];
    for (let i = 0; i < below.length; i += 2) above.push(i + 1 < below.length ? hashPair(below[i]!, below[i + 1]!) : below[i]!);
    levels.push(above);
  }
  return {
    root: levels[levels.length - 1]![0]!,
    leaves: levels[0]!,
    proof(index: number): string[] {
      if (!Number.isInteger(index) || index < 0 || index >= levels[0]!.length) throw new MerkleTreeError(`no leaf ${index}`);
      const siblings: string[] = [];
      let position = index;
      for (let depth = 0; depth < levels.length - 1; depth++) {
        const level = levels[depth]!;
        const sibling = position ^ 1;
        if (sibling < level.length) siblings.push(level[sibling]!);
        position >>= 1;
      }
      return siblings;
    },
  };
}

/** Whether leaf with proof hashes up to root: the same computation as ReceiptRegistry.verifyLeaf. */
export function verifyProof(leaf: string, proof: string[], root: string): boolean {
  let hash = bytes32(leaf, 'leaf');
  for (const sibling of proof) hash = hashPair(hash, bytes32(sibling, 'proof element'));
  return hash === bytes32(root, 'root');
}
