// A node's EIP-712 signatures over its statements. The signature is the one `wallet.signTypedData` makes (same
// digest, RFC 6979 nonces), computed without its per-call work: ethers re-parses the types and walks the message for
// ENS names on every call, which cost more CPU per turn than the secp256k1 signature itself. Statement types are
// fixed, so each is parsed once; a domain's separator is kept after its first use.
import { concat, keccak256, TypedDataEncoder, type TypedDataField } from 'ethers';
import type { NodeWallet } from './node-identity';
import { ATTACHMENTS_TYPES, RECEIPT_TYPES, REEXECUTION_TYPES, type AttachmentsMessage, type ReceiptDomain, type ReceiptMessage, type ReexecutionMessage } from './receipt';

const receiptEncoder = encoderOf(RECEIPT_TYPES);
const reexecutionEncoder = encoderOf(REEXECUTION_TYPES);
const attachmentsEncoder = encoderOf(ATTACHMENTS_TYPES);
const domainSeparators = new Map<string, string>();

export function signReceipt(wallet: NodeWallet, domain: ReceiptDomain, message: ReceiptMessage): Promise<string> {
  return signStatement(wallet, domain, receiptEncoder, message);
}

export function signReexecution(wallet: NodeWallet, domain: ReceiptDomain, message: ReexecutionMessage): Promise<string> {
  return signStatement(wallet, domain, reexecutionEncoder, message);
}

export function signAttachments(wallet: NodeWallet, domain: ReceiptDomain, message: AttachmentsMessage): Promise<string> {
  return signStatement(wallet, domain, attachmentsEncoder, message);
}

function encoderOf(types: Record<string, readonly TypedDataField[]>): TypedDataEncoder {
  return TypedDataEncoder.from(Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, [...fields]])));
}

async function signStatement(wallet: NodeWallet, domain: ReceiptDomain, encoder: TypedDataEncoder, message: object): Promise<string> {
  const digest = keccak256(concat(['0x1901', domainSeparatorOf(domain), encoder.hash(message as Record<string, unknown>)]));
  return wallet.signingKey.sign(digest).serialized;
}

function domainSeparatorOf(domain: ReceiptDomain): string {
  const key = JSON.stringify(domain);
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = TypedDataEncoder.hashDomain(domain);
    if (domainSeparators.size < 100) domainSeparators.set(key, separator);
  }
  return separator;
}
