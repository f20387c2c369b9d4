// Receipt settlement on a real local chain node (hardhat's, started by libs/chain): batch roots posted to
// ReceiptRegistry, every receipt's inclusion proof checked in TypeScript and by the contract, tampering refused.
import { randomUUID } from 'node:crypto';
import { Contract, Wallet, hexlify, randomBytes, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectContract, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';
import { buildTree, hashPair, leafOf, receiptDigest, verifyProof } from '@doppel/settlement';
import type { Receipt } from '@doppel/verification';

let chain: LocalChain;
let provider: JsonRpcProvider;
let owner: Wallet, poster: Wallet, stranger: Wallet;
let registry: Contract;

export function fakeReceipt(node: string): Pick<Receipt, 'domain' | 'message'> {
  const hash = () => hexlify(randomBytes(32));
  return {
    domain: { name: 'Doppel', version: '1', chainId: 1337 },
    message: {
      turnId: randomUUID(),
      conversationId: randomUUID(),
      personaVersionHash: hash(),
      modelHash: hash(),
      inputHash: hash(),
      outputHash: hash(),
      paramsHash: hash(),
      memoriesHash: hash(),
      node,
      startedAt: Date.now() - 500,
      finishedAt: Date.now(),
      level: 'signed',
    },
  } as Pick<Receipt, 'domain' | 'message'>;
}

beforeAll(async () => {
  chain = await startLocalChain();
  provider = chain.provider();
  [owner, poster, stranger] = chain.accounts.slice(0, 3).map((account) => new Wallet(account.privateKey, provider)) as [Wallet, Wallet, Wallet];
  registry = (await deployContract(compileProjectContract('ReceiptRegistry'), owner, [poster.address])).contract as Contract;
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe('ReceiptRegistry on the local chain', () => {
  it('a posted batch proves every receipt in TypeScript and in the contract; tampering fails', async () => {
    const digests = Array.from({ length: 11 }, () => receiptDigest(fakeReceipt(stranger.address)));
    const tree = buildTree(digests.map(leafOf));
    const tx = await registry.connect(poster).getFunction('postBatch')(7n, tree.root, BigInt(digests.length));
    const mined = await tx.wait();
    const [root, count, block] = (await registry.getFunction('batchOf')(7n)) as [string, bigint, bigint];
    expect(root).toBe(tree.root);
    expect(count).toBe(11n);
    expect(block).toBe(BigInt(mined.blockNumber));
    expect(mined.logs.map((log: { topics: string[]; data: string }) => registry.interface.parseLog(log)?.name)).toContain('BatchPosted');

    for (const [i, digest] of digests.entries()) {
      const proof = tree.proof(i);
      expect(await registry.getFunction('leafOf')(digest)).toBe(leafOf(digest));
      expect(verifyProof(leafOf(digest), proof, root)).toBe(true);
      expect(await registry.getFunction('verifyInclusion')(digest, proof, 7n)).toBe(true);
    }
    // A changed receipt, a changed proof element, another batch or a never-posted batch: all refused.
    const proof = tree.proof(3);
    const otherDigest = receiptDigest(fakeReceipt(stranger.address));
    expect(verifyProof(leafOf(otherDigest), proof, root)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(otherDigest, proof, 7n)).toBe(false);
    const tampered = [...proof];
    tampered[0] = `0x${(BigInt(tampered[0]!) ^ 1n).toString(16).padStart(64, '0')}`;
    expect(verifyProof(leafOf(digests[3]!), tampered, root)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(digests[3], tampered, 7n)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(digests[3], proof, 8n)).toBe(false);
    // An inner node offered as a receipt digest does not verify (leaf/inner domain separation).
    const inner = hashPair(tree.leaves[0]!, tree.leaves[1]!);
    expect(await registry.getFunction('verifyLeaf')(inner, tree.proof(0).slice(1), 7n)).toBe(true);
    expect(await registry.getFunction('verifyInclusion')(inner, tree.proof(0).slice(1), 7n)).toBe(false);
  });

  it('only the poster posts, a batch id is posted once, and an empty batch is refused', async () => {
    const root = leafOf(receiptDigest(fakeReceipt(stranger.address)));
    await expect(registry.connect(stranger).getFunction('postBatch')(9n, root, 1n)).rejects.toThrow(/NotPoster|revert/);
    await (await registry.connect(poster).getFunction('postBatch')(9n, root, 1n)).wait();
    await expect(registry.connect(poster).getFunction('postBatch')(9n, root, 1n)).rejects.toThrow(/BatchExists|revert/);
    await expect(registry.connect(poster).getFunction('postBatch')(10n, `0x${'00'.repeat(32)}`, 1n)).rejects.toThrow(/EmptyBatch|revert/);
    // A one-receipt batch: the root is the leaf and the proof is empty.
    expect(await registry.getFunction('verifyLeaf')(root, [], 9n)).toBe(true);
  });
});
