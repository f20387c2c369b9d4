import type { NodeWallet } from './node-identity';
import { ATTACHMENTS_TYPES, RECEIPT_TYPES, REEXECUTION_TYPES, type AttachmentsMessage, type ReceiptDomain, type ReceiptMessage, type ReexecutionMessage } from './receipt';

export function signReceipt(wallet: NodeWallet, domain: ReceiptDomain, message: ReceiptMessage): Promise<string> {
  return wallet.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, message);
}

export function signReexecution(wallet: NodeWallet, domain: ReceiptDomain, message: ReexecutionMessage): Promise<string> {
  return wallet.signTypedData(domain, { Reexecution: [...REEXECUTION_TYPES.Reexecution] }, message);
}

export function signAttachments(wallet: NodeWallet, domain: ReceiptDomain, message: AttachmentsMessage): Promise<string> {
  return wallet.signTypedData(domain, { Attachments: [...ATTACHMENTS_TYPES.Attachments] }, message);
}
