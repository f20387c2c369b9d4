// What a receipt contributes to a batch: its EIP-712 digest (what its node signature signs), as stored.
import { TypedDataEncoder } from 'ethers';
import { RECEIPT_TYPES, type Receipt } from '@doppel/verification';
import { leafOf } from './merkle';

export function receiptDigest(receipt: Pick<Receipt, 'domain' | 'message'>): string {
  return TypedDataEncoder.hash(receipt.domain, { Receipt: [...RECEIPT_TYPES.Receipt] }, receipt.message);
}

export const receiptLeaf = (receipt: Pick<Receipt, 'domain' | 'message'>): string => leafOf(receiptDigest(receipt));
