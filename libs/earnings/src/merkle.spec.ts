import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { buildPayoutTree, verifyPayoutProof } from './merkle';

const nodes = Array.from({ length: 7 }, () => Wallet.createRandom().address.toLowerCase());

describe('payout Merkle tree', () => {
  it('proves every leaf for 1 to 7 nodes (odd levels included) and no altered amount', () => {
    for (let count = 1; count <= nodes.length; count++) {
      const leaves = nodes.slice(0, count).map((node, index) => ({ node, cumulativeWei: BigInt(index + 1) * 10n ** 15n }));
      const tree = buildPayoutTree(leaves);
      for (const leaf of leaves) {
        const proof = tree.proofs.get(leaf.node)!;
        expect(verifyPayoutProof(tree.root, leaf, proof)).toBe(true);
        expect(verifyPayoutProof(tree.root, { ...leaf, cumulativeWei: leaf.cumulativeWei + 1n }, proof)).toBe(false);
      }
    }
  });

  it('gives the same root whatever order the leaves come in', () => {
    const leaves = nodes.map((node, index) => ({ node, cumulativeWei: BigInt(index) }));
    expect(buildPayoutTree([...leaves].reverse()).root).toBe(buildPayoutTree(leaves).root);
  });

  it('refuses two leaves for one node', () => {
    expect(() => buildPayoutTree([{ node: nodes[0]!, cumulativeWei: 1n }, { node: nodes[0]!, cumulativeWei: 2n }])).toThrow(/one leaf per node/);
  });
});
