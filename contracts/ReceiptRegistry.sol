// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Batches of receipts, settled by Merkle root (docs/receipts.md, "Settlement"). The poster (the deployment's
/// settlement key) posts one root per batch; anyone checks that a receipt is in a posted batch with its proof.
///
/// Leaf: keccak256(0x00 ‖ d), where d is the receipt's EIP-712 digest (the hash its node signature signs).
/// Inner node: keccak256(0x01 ‖ min(a, b) ‖ max(a, b)) — sorted pairs, so a proof is just the siblings; the prefix
/// byte keeps a leaf from ever being read as an inner node. A level with an odd node out carries it up unchanged.
contract ReceiptRegistry {
    struct Batch {
        bytes32 root;
        uint64 count;
        uint64 postedAtBlock;
    }

    address public owner;
    address public poster;
    mapping(uint256 => Batch) private batches;

    event BatchPosted(uint256 indexed batchId, bytes32 root, uint256 count);
    event PosterChanged(address poster);

    error NotOwner();
    error NotPoster();
    error BatchExists(uint256 batchId);
    error EmptyBatch();

    constructor(address poster_) {
        owner = msg.sender;
        poster = poster_;
    }

    function setPoster(address poster_) external {
        if (msg.sender != owner) revert NotOwner();
        poster = poster_;
        emit PosterChanged(poster_);
    }

    /// A batch id is posted once: a root can never be replaced, so an inclusion proof stays valid forever.
    function postBatch(uint256 batchId, bytes32 root, uint64 count) external {
        if (msg.sender != poster) revert NotPoster();
        if (root == bytes32(0) || count == 0) revert EmptyBatch();
        if (batches[batchId].root != bytes32(0)) revert BatchExists(batchId);
        batches[batchId] = Batch(root, count, uint64(block.number));
        emit BatchPosted(batchId, root, count);
    }

    function batchOf(uint256 batchId) external view returns (bytes32 root, uint64 count, uint64 postedAtBlock) {
        Batch storage batch = batches[batchId];
        return (batch.root, batch.count, batch.postedAtBlock);
    }

    function leafOf(bytes32 receiptDigest) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), receiptDigest));
    }

    /// True when `leaf` with `proof` hashes up to the root posted for `batchId` (false for a batch never posted).
    function verifyLeaf(bytes32 leaf, bytes32[] calldata proof, uint256 batchId) public view returns (bool) {
        bytes32 root = batches[batchId].root;
        if (root == bytes32(0)) return false;
        bytes32 hash = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 sibling = proof[i];
            hash = hash < sibling
                ? keccak256(abi.encodePacked(bytes1(0x01), hash, sibling))
                : keccak256(abi.encodePacked(bytes1(0x01), sibling, hash));
        }
        return hash == root;
    }

    function verifyInclusion(bytes32 receiptDigest, bytes32[] calldata proof, uint256 batchId) external view returns (bool) {
        return verifyLeaf(leafOf(receiptDigest), proof, batchId);
    }
}
