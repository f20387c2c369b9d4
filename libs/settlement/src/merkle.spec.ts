import { keccak256, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { buildTree, hashPair, leafOf, verifyProof } from './merkle';

const digests = (n: number) => Array.from({ length: n }, (_, i) => keccak256(toUtf8Bytes(`receipt ${i}`)));

describe('receipt batch tree', () => {
  it('every leaf of trees of many sizes has a proof that verifies, and only for its own leaf', () => {
    for (const size of [1, 2, 3, 5, 8, 13, 33]) {
      const leaves = digests(size).map(leafOf);
      const tree = buildTree(leaves);
      leaves.forEach((leaf, i) => {
        expect(verifyProof(leaf, tree.proof(i), tree.root)).toBe(true);
        if (size > 1) expect(verifyProof(leaves[(i + 1) % size]!, tree.proof(i), tree.root)).toBe(false);
      });
    }
  });

  it('a one-leaf tree has the leaf as root and an empty proof', () => {
    const leaf = leafOf(digests(1)[0]!);
    const tree = buildTree([leaf]);
    expect(tree.root).toBe(leaf);
    expect(tree.proof(0)).toEqual([]);
  });

  it('an inner node is not accepted as a leaf (domain separation)', () => {
    const leaves = digests(4).map(leafOf);
    const tree = buildTree(leaves);
    const inner = hashPair(leaves[0]!, leaves[1]!);
    // The inner node is a valid "leaf" only of the raw proof one level up; as a receipt digest it hashes elsewhere.
    expect(verifyProof(leafOf(inner), [hashPair(leaves[2]!, leaves[3]!)], tree.root)).toBe(false);
    expect(() => buildTree([])).toThrow();
  });
});
