// The Solidity verifier, compiled with solc and run in an in-process EVM, against receipts signed by ethers.
import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployVerifier } from './onchain-harness';
import { hashCanonical, type ReceiptMessage } from './receipt';
import { signReceipt } from './sign-receipt';

const node = Wallet.createRandom();
const domain = { name: 'Doppel', version: '1', chainId: 1337 };
const message: ReceiptMessage = {
  turnId: 'a6f1c0de-0000-4000-8000-000000000001',
  conversationId: 'a6f1c0de-0000-4000-8000-000000000002',
  personaVersionHash: hashCanonical({ p: 1 }),
  modelHash: hashCanonical({ m: 1 }),
  inputHash: hashCanonical({ i: 1 }),
  outputHash: hashCanonical({ o: 1 }),
  paramsHash: hashCanonical({ s: 1 }),
  memoriesHash: hashCanonical([]),
  node: node.address,
  startedAt: 1_790_000_000_000,
  finishedAt: 1_790_000_000_500,
  level: 'signed',
};

describe('DoppelReceiptVerifier (Solidity)', () => {
  let verifier: Awaited<ReturnType<typeof deployVerifier>>;
  let signature: string;

  beforeAll(async () => {
    verifier = await deployVerifier(1337);
    signature = await signReceipt(node, domain, message);
  }, 60_000);

  it('recovers the same signer as ethers, and accepts only once the node is registered', async () => {
    expect(await verifier.signerOf(message as never, signature)).toBe(node.address);
    expect(await verifier.verify(message as never, signature)).toBe(false);
    await verifier.setNode(node.address, true);
    expect(await verifier.verify(message as never, signature)).toBe(true);
  });

  it('rejects a tampered field, another key, and a malformed signature', async () => {
    await verifier.setNode(node.address, true);
    expect(await verifier.verify({ ...message, outputHash: hashCanonical({ o: 2 }) } as never, signature)).toBe(false);
    expect(await verifier.verify({ ...message, finishedAt: message.finishedAt + 1 } as never, signature)).toBe(false);
    const other = await signReceipt(Wallet.createRandom(), domain, message);
    expect(await verifier.verify(message as never, other)).toBe(false);
    expect(await verifier.verify(message as never, '0x1234')).toBe(false);
  });

  it('takes a receipt whose level is a set unchanged: the typed data did not change, and the label is signed', async () => {
    await verifier.setNode(node.address, true);
    const setMessage = { ...message, level: 'signed+reexec+tee+zk' };
    const setSignature = await signReceipt(node, domain, setMessage);
    expect(await verifier.verify(setMessage as never, setSignature)).toBe(true);
    // Claiming fewer or more levels than were signed breaks the signature.
    expect(await verifier.verify({ ...setMessage, level: 'signed+reexec' } as never, setSignature)).toBe(false);
    expect(await verifier.verify({ ...message, level: 'signed+tee' } as never, signature)).toBe(false);
  });
});
