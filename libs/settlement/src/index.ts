export { leafOf, hashPair, buildTree, verifyProof, MerkleTreeError, type MerkleTree } from './merkle';
export { receiptDigest, receiptLeaf } from './receipt-leaf';
