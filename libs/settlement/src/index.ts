export { leafOf, hashPair, buildTree, verifyProof, MerkleTreeError, type MerkleTree } from './merkle';
export { receiptDigest, receiptLeaf } from './receipt-leaf';
export { SettlementRepository, SettlementInconsistentError, type BatchLimits, type FormedBatch, type Inclusion } from './settlement.repository';
export { SettlementBatcher, SettlementPostError, type SettlementTick } from './settlement-batcher';
export { SettlementModule } from './settlement.module';
