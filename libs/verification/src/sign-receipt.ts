import { RECEIPT_TYPES, type ReceiptDomain, type ReceiptMessage } from './receipt';
import type { NodeWallet } from './node-identity';

export function signReceipt(wallet: NodeWallet, domain: ReceiptDomain, message: ReceiptMessage): Promise<string> {
  return wallet.signTypedData(domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, message);
}
