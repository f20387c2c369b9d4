export { leafOf, hashPair, buildTree, verifyProof, MerkleTreeError, type MerkleTree } from './merkle';
export { receiptDigest, receiptLeaf } from './receipt-leaf';
export { inclusionProblems, type Inclusion, type InclusionProof } from './inclusion-proof';
export { SettlementRepository, SettlementInconsistentError, type BatchLimits, type FormedBatch } from './settlement.repository';
export { SettlementBatcher, SettlementPostError, type SettlementTick } from './settlement-batcher';
export { SettlementModule } from './settlement.module';
