import type { NodeWallet } from './node-identity';
import { RECEIPT_TYPES, REEXECUTION_TYPES, type ReceiptDomain, type ReceiptMessage, type ReexecutionMessage } from './receipt';

export function signReceipt(wallet: NodeWallet, domain: ReceiptDomain, message: ReceiptMessage): Promise<string> {
  return wallet.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, message);
}

export function signReexecution(wallet: NodeWallet, domain: ReceiptDomain, message: ReexecutionMessage): Promise<string> {
  return wallet.signTypedData(domain, { Reexecution: [...REEXECUTION_TYPES.Reexecution] }, message);
}
