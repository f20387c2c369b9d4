// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Node operators' earnings, settled by Merkle root. The poster (the deployment's settlement key) periodically posts
/// the root of a tree whose leaves are (node address, cumulative earnings in wei); a node claims the difference
/// between its cumulative earnings and what it has already claimed, with a proof. Cumulative leaves mean a missed
/// epoch loses nothing and a proof from an older root can never pay twice.
///
/// Leaf: keccak256(bytes.concat(keccak256(abi.encode(node, cumulativeAmount)))) — hashed twice so that a leaf can never
/// be read as an inner node. Inner nodes hash their two children in ascending order.
contract NodePayouts {
    address public owner;
    address public poster;
    bytes32 public merkleRoot;
    uint256 public epoch;
    mapping(address => uint256) public claimed;

    uint256 private locked = 1;

    event RootPosted(uint256 indexed epoch, bytes32 root, uint256 totalCumulative);
    event Claimed(address indexed node, address indexed recipient, uint256 amount, uint256 cumulativeAmount);
    event Funded(address indexed from, uint256 amount);

    error NotOwner();
    error NotPoster();
    error InvalidProof();
    error NothingToClaim();
    error TransferFailed();
    error Reentrancy();

    modifier nonReentrant() {
        if (locked != 1) revert Reentrancy();
        locked = 2;
        _;
        locked = 1;
    }

    constructor(address poster_) {
        owner = msg.sender;
        poster = poster_;
    }

    receive() external payable {
        emit Funded(msg.sender, msg.value);
    }

    function setPoster(address poster_) external {
        if (msg.sender != owner) revert NotOwner();
        poster = poster_;
    }

    function postRoot(bytes32 root, uint256 totalCumulative) external {
        if (msg.sender != poster) revert NotPoster();
        merkleRoot = root;
        epoch += 1;
        emit RootPosted(epoch, root, totalCumulative);
    }

    function leafOf(address node, uint256 cumulativeAmount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(node, cumulativeAmount))));
    }

    function verify(address node, uint256 cumulativeAmount, bytes32[] calldata proof) public view returns (bool) {
        bytes32 hash = leafOf(node, cumulativeAmount);
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 sibling = proof[i];
            hash = hash < sibling ? keccak256(abi.encode(hash, sibling)) : keccak256(abi.encode(sibling, hash));
        }
        return hash == merkleRoot;
    }

    /// Only the node's own key claims (msg.sender is the node), paid to `recipient` (e.g. the operator's cold wallet).
    function claim(uint256 cumulativeAmount, bytes32[] calldata proof, address payable recipient) external nonReentrant {
        if (!verify(msg.sender, cumulativeAmount, proof)) revert InvalidProof();
        uint256 already = claimed[msg.sender];
        if (cumulativeAmount <= already) revert NothingToClaim();
        uint256 amount = cumulativeAmount - already;
        claimed[msg.sender] = cumulativeAmount;
        emit Claimed(msg.sender, recipient, amount, cumulativeAmount);
        (bool sent, ) = recipient.call{value: amount}("");
        if (!sent) revert TransferFailed();
    }
}
