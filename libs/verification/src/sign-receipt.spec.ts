import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { ATTACHMENTS_TYPES, attachmentsStatementOf, hashCanonical, RECEIPT_TYPES, REEXECUTION_TYPES, reexecutionOf, type ReceiptMessage } from './receipt';
import { signAttachments, signReceipt, signReexecution } from './sign-receipt';

const wallet = Wallet.createRandom();
const domains = [
  { name: 'Doppel', version: '1', chainId: 1337 },
  { name: 'Doppel', version: '1', chainId: 31337 },
];
const message: ReceiptMessage = {
  turnId: '0b7f6b8e-1111-4000-8000-000000000002',
  conversationId: '0b7f6b8e-2222-4000-8000-000000000003',
  personaVersionHash: hashCanonical({ persona: 'Ada' }),
  modelHash: hashCanonical({ model: 'synthetic' }),
  inputHash: hashCanonical({ input: [1, 2, 3] }),
  outputHash: hashCanonical({ output: 'Evening.' }),
  paramsHash: hashCanonical({ temperature: 0.8 }),
  memoriesHash: hashCanonical([]),
  node: wallet.address,
  startedAt: 1_790_000_000_000,
  finishedAt: 1_790_000_000_750,
  level: 'signed',
};
const mutable = <T extends Record<string, readonly object[]>>(types: T) => Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, [...fields]])) as never;

describe('statement signatures', () => {
  // The same bytes ethers' signTypedData makes (RFC 6979 nonces are deterministic), for each statement and for two
  // domains in a row, so a kept domain separator never signs under the wrong chain.
  it.each(domains)('are the signatures signTypedData makes, for every statement (chain $chainId)', async (domain) => {
    expect(await signReceipt(wallet, domain, message)).toBe(await wallet.signTypedData(domain, mutable(RECEIPT_TYPES), message));
    const reexecution = reexecutionOf(message, wallet.address);
    expect(await signReexecution(wallet, domain, reexecution)).toBe(await wallet.signTypedData(domain, mutable(REEXECUTION_TYPES), reexecution));
    const attachments = attachmentsStatementOf(message, []);
    expect(await signAttachments(wallet, domain, attachments)).toBe(await wallet.signTypedData(domain, mutable(ATTACHMENTS_TYPES), attachments));
  });

  it('change with every signed field', async () => {
    const domain = domains[0]!;
    const signature = await signReceipt(wallet, domain, message);
    expect(await signReceipt(wallet, domain, { ...message, finishedAt: message.finishedAt + 1 })).not.toBe(signature);
    expect(await signReceipt(wallet, domains[1]!, message)).not.toBe(signature);
  });
});
