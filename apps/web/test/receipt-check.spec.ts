import { sha256, toUtf8Bytes, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '@doppel/protocol';
import { checkReceipt, type ReceiptUnderCheck } from '../src/receipt-check';

const RECEIPT_TYPES = {
  Receipt: [
    { name: 'turnId', type: 'string' },
    { name: 'conversationId', type: 'string' },
    { name: 'personaVersionHash', type: 'bytes32' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'inputHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'paramsHash', type: 'bytes32' },
    { name: 'memoriesHash', type: 'bytes32' },
    { name: 'node', type: 'address' },
    { name: 'startedAt', type: 'uint64' },
    { name: 'finishedAt', type: 'uint64' },
    { name: 'level', type: 'string' },
  ],
};
const hash = (value: unknown) => sha256(toUtf8Bytes(canonicalJson(value)));

async function signedProof(node: { address: string; signTypedData: Wallet["signTypedData"] }): Promise<ReceiptUnderCheck> {
  const transcript = {
    input: { messages: [{ role: 'user', content: 'hi' }] },
    output: { text: 'Hello **there**.', tokenIds: null },
    params: { maxTokens: 8, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [], seed: 7 },
    memories: [{ id: 'm1', contentHash: 'ab' }],
  };
  const domain = { name: 'Doppel', version: '1', chainId: 1337 };
  const message = {
    turnId: 't1',
    conversationId: 'c1',
    personaVersionHash: hash({ name: 'P' }),
    modelHash: hash({ backend: 'synthetic' }),
    inputHash: hash(transcript.input),
    outputHash: hash(transcript.output),
    paramsHash: hash(transcript.params),
    memoriesHash: hash(transcript.memories),
    node: node.address,
    startedAt: 1,
    finishedAt: 2,
    level: 'signed',
  };
  return { receipt: { domain, message, signatures: { node: await node.signTypedData(domain, RECEIPT_TYPES, message) } }, transcript };
}

const expected = { turnId: 't1', conversationId: 'c1', replyText: 'Hello **there**.' };

describe('checkReceipt (the browser check)', () => {
  it('accepts a receipt signed by its node whose hashes recompute from the transcript', async () => {
    const node = Wallet.createRandom();
    const result = await checkReceipt(await signedProof(node), expected);
    expect(result).toMatchObject({ valid: true, signer: node.address, problems: [] });
  });

  it('rejects a changed transcript, a changed receipt field, another signer, and a reply that differs from the one shown', async () => {
    const node = Wallet.createRandom();
    const tamperedOutput = await signedProof(node);
    tamperedOutput.transcript.output.text = 'Something else.';
    expect((await checkReceipt(tamperedOutput, { ...expected, replyText: 'Something else.' })).problems).toContain('outputHash does not match the transcript');

    const tamperedField = await signedProof(node);
    tamperedField.receipt.message.finishedAt = 3;
    expect((await checkReceipt(tamperedField, expected)).problems.join()).toMatch(/recovers to/);

    const impostor = await signedProof(Wallet.createRandom());
    impostor.receipt.message.node = node.address;
    expect((await checkReceipt(impostor, expected)).valid).toBe(false);

    expect((await checkReceipt(await signedProof(node), { ...expected, replyText: 'Hello there.' })).problems).toContain('the signed output is not the reply shown');
    expect((await checkReceipt(await signedProof(node), { ...expected, turnId: 't2' })).problems).toContain('the receipt is for another turn');
  });
});
