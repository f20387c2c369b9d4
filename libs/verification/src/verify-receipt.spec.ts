import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { attachmentsStatementOf, hashCanonical, RECEIPT_TYPES, reexecutionOf, type AttachmentRecord, transcriptHashes, type Receipt, type ReceiptMessage, type ReceiptTranscript } from './receipt';
import { signAttachments, signReceipt, signReexecution } from './sign-receipt';
import { trustedSet, verifyReceipt } from './verify-receipt';

const servingNode = Wallet.createRandom();
const secondNode = Wallet.createRandom();
const stranger = Wallet.createRandom();
const domain = { name: 'Doppel', version: '1', chainId: 1337 };

const transcript: ReceiptTranscript = {
  input: { tokenIds: [1, 42, 7, 99] },
  output: { text: 'Evening. Kettle is on.', tokenIds: [5, 6, 7, 2] },
  params: { maxTokens: 64, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [], seed: 12345 },
  memories: [{ id: '6f1c1c7e-0000-4000-8000-000000000001', contentHash: 'a'.repeat(64) }],
};

async function makeReceipt(level: ReceiptMessage['level'] = 'signed+reexec'): Promise<Receipt> {
  const message: ReceiptMessage = {
    turnId: '0b7f6b8e-1111-4000-8000-000000000002',
    conversationId: '0b7f6b8e-2222-4000-8000-000000000003',
    personaVersionHash: hashCanonical({ persona: 'Ada' }),
    modelHash: hashCanonical({ model: 'doppel-nano-chat' }),
    ...transcriptHashes(transcript),
    node: servingNode.address,
    startedAt: 1_790_000_000_000,
    finishedAt: 1_790_000_000_750,
    level,
  };
  return {
    id: 'r1',
    domain,
    types: RECEIPT_TYPES,
    primaryType: 'Receipt',
    message,
    signatures: {
      node: await signReceipt(servingNode, domain, message),
      reexec: { node: secondNode.address, signature: await signReexecution(secondNode, domain, reexecutionOf(message, secondNode.address)) },
    },
  };
}

const trusted = trustedSet([servingNode.address, secondNode.address]);

describe('verifyReceipt', () => {
  it('accepts an untouched receipt, its signers and its transcript', async () => {
    const result = await verifyReceipt(await makeReceipt(), trusted, transcript);
    expect(result).toMatchObject({ valid: true, reasons: [], signer: servingNode.address, reexecSigner: secondNode.address, transcriptChecked: true });
  });

  const tamperings: [keyof ReceiptMessage, unknown][] = [
    ['turnId', '0b7f6b8e-1111-4000-8000-000000000009'],
    ['conversationId', '0b7f6b8e-2222-4000-8000-000000000009'],
    ['personaVersionHash', hashCanonical({ persona: 'Eve' })],
    ['modelHash', hashCanonical({ model: 'other' })],
    ['inputHash', hashCanonical({ tokenIds: [1] })],
    ['outputHash', hashCanonical({ text: 'forged', tokenIds: null })],
    ['paramsHash', hashCanonical({ seed: 1 })],
    ['memoriesHash', hashCanonical([])],
    ['node', stranger.address],
    ['startedAt', 1_790_000_000_001],
    ['finishedAt', 1_790_000_000_751],
    ['level', 'signed'],
  ];
  it.each(tamperings)('rejects a receipt whose %s was changed', async (field, value) => {
    const receipt = await makeReceipt();
    (receipt.message as unknown as Record<string, unknown>)[field] = value;
    const result = await verifyReceipt(receipt, trustedSet([servingNode.address, secondNode.address, stranger.address]));
    expect(result.valid).toBe(false);
    expect(result.reasons.join(' ')).toMatch(/recovers to|does not recover|requires/);
  });

  it('rejects a signature from another key', async () => {
    const receipt = await makeReceipt('signed');
    receipt.signatures.node = await signReceipt(stranger, domain, receipt.message);
    expect((await verifyReceipt(receipt, trusted)).reasons.join(' ')).toMatch(/recovers to 0x[0-9a-fA-F]+, not to the receipt's node/);
  });

  it('rejects a node that is unknown or revoked', async () => {
    const result = await verifyReceipt(await makeReceipt(), trustedSet([secondNode.address]));
    expect(result.valid).toBe(false);
    expect(result.reasons.join(' ')).toMatch(/not a registered, unrevoked node/);
  });

  it('rejects a transcript that does not match', async () => {
    const wrong: ReceiptTranscript = { ...transcript, output: { text: 'Something else.', tokenIds: [5, 6, 7, 2] } };
    const result = await verifyReceipt(await makeReceipt(), trusted, wrong);
    expect(result.valid).toBe(false);
    expect(result.reasons).toEqual([expect.stringMatching(/^outputHash does not match the transcript/)]);
  });

  it('rejects a missing signature the level requires, and a serving node co-signing itself', async () => {
    const unsigned = await makeReceipt();
    delete unsigned.signatures.node;
    expect((await verifyReceipt(unsigned, trusted)).reasons.join(' ')).toMatch(/requires the serving node signature/);

    const selfCosigned = await makeReceipt();
    selfCosigned.signatures.reexec = {
      node: servingNode.address,
      signature: await signReexecution(servingNode, domain, reexecutionOf(selfCosigned.message, servingNode.address)),
    };
    expect((await verifyReceipt(selfCosigned, trusted)).reasons.join(' ')).toMatch(/signed by the serving node itself/);
  });

  it('checks each level of a set, reports which were proven, and never passes a level it has no check for', async () => {
    const both = await verifyReceipt(await makeReceipt('signed+reexec'), trusted);
    expect(both).toMatchObject({ valid: true, claimed: ['signed', 'reexec'], proven: ['signed', 'reexec'] });

    const noCosign = await makeReceipt('signed+reexec');
    delete noCosign.signatures.reexec;
    expect(await verifyReceipt(noCosign, trusted)).toMatchObject({ valid: false, claimed: ['signed', 'reexec'], proven: ['signed'] });

    const tee = await makeReceipt('signed+tee');
    const unchecked = await verifyReceipt(tee, trusted);
    expect(unchecked).toMatchObject({ valid: false, proven: ['signed'] });
    expect(unchecked.reasons.join(' ')).toMatch(/level tee is claimed, and this verifier has no tee check/);
    const passing = await verifyReceipt(tee, trusted, undefined, { checks: { tee: () => [] } });
    expect(passing).toMatchObject({ valid: true, proven: ['signed', 'tee'] });
    const failing = await verifyReceipt(tee, trusted, undefined, { checks: { tee: async () => ['no evidence'] } });
    expect(failing.reasons).toContain('tee: no evidence');

    const reordered = await makeReceipt('reexec+signed');
    expect((await verifyReceipt(reordered, trusted)).reasons.join(' ')).toMatch(/"reexec\+signed" is not a canonical level set/);
    const unknown = await makeReceipt('signed+magic');
    expect((await verifyReceipt(unknown, trusted)).reasons.join(' ')).toMatch(/unknown verification level "magic"/);
  });

  describe('attached models\' results', () => {
    const records: AttachmentRecord[] = [
      { model: 'doppel-topic-mlp', modelHash: 'a'.repeat(64), verificationKeyHash: 'b'.repeat(64), inputHash: 'c'.repeat(64), output: ['4096', '0', '12', '7'], scores: { food: 1, animal: 0 }, top: 'food' },
    ];
    const withAttachments = async (signer = servingNode) => {
      const receipt = await makeReceipt('signed');
      receipt.evidence = { attachments: structuredClone(records) };
      receipt.signatures.attachments = await signAttachments(signer, domain, attachmentsStatementOf(receipt.message, records));
      return receipt;
    };

    it('accepts results the serving node signed', async () => {
      expect(await verifyReceipt(await withAttachments(), trusted, transcript)).toMatchObject({ valid: true, proven: ['signed'] });
    });

    it('refuses a changed result, an unsigned one, or one signed by another key', async () => {
      const changed = await withAttachments();
      changed.evidence!.attachments![0]!.output[0] = '0';
      expect((await verifyReceipt(changed, trusted)).reasons.join()).toMatch(/attachments signature does not recover/);
      const unsigned = await withAttachments();
      delete unsigned.signatures.attachments;
      expect((await verifyReceipt(unsigned, trusted)).reasons.join()).toMatch(/did not sign them/);
      const other = await withAttachments(stranger);
      expect(await verifyReceipt(other, trusted)).toMatchObject({ valid: false, proven: [] });
    });
  });
});
