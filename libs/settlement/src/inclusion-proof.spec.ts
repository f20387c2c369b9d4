import { keccak256, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { inclusionProblems } from './inclusion-proof';
import { buildTree, leafOf } from './merkle';

const leaves = Array.from({ length: 5 }, (_, i) => leafOf(keccak256(toUtf8Bytes(`receipt ${i}`))));
const tree = buildTree(leaves);
const inclusion = { receiptId: 'r2', batchId: '4', leaf: leaves[2]!, root: tree.root, proof: tree.proof(2) };

describe('inclusionProblems', () => {
  it('accepts the proof of the receipt whose leaf it recomputed', () => {
    expect(inclusionProblems('r2', leaves[2]!, inclusion)).toEqual([]);
  });

  it("names what does not match: another receipt, the server's leaf, the proof, a malformed element", () => {
    expect(inclusionProblems('r3', leaves[2]!, inclusion)).toEqual(['the inclusion proof is for receipt r2, not r3']);
    const problems = inclusionProblems('r2', leaves[3]!, inclusion);
    expect(problems[0]).toMatch(/^the batch's leaf .* is not this receipt's/);
    expect(problems[1]).toMatch(/^the Merkle proof does not hash this receipt's leaf up to root/);
    expect(inclusionProblems('r2', leaves[2]!, { ...inclusion, proof: inclusion.proof.slice(1) })).toHaveLength(1);
    expect(inclusionProblems('r2', leaves[2]!, { ...inclusion, proof: ['0x12'] })[0]).toMatch(/^the inclusion proof is malformed/);
  });
});
