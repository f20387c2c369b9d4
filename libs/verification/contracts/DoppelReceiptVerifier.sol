// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title DoppelReceiptVerifier
/// @notice Checks that a Doppel inference receipt (EIP-712, see docs/receipts.md) was signed by a node the
///         contract's owner registered, and that the receipt names that node.
contract DoppelReceiptVerifier {
    struct Receipt {
        string turnId;
        string conversationId;
        bytes32 personaVersionHash;
        bytes32 modelHash;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 paramsHash;
        bytes32 memoriesHash;
        address node;
        uint64 startedAt;
        uint64 finishedAt;
        string level;
    }

    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
    bytes32 private constant RECEIPT_TYPEHASH =
        keccak256(
            "Receipt(string turnId,string conversationId,bytes32 personaVersionHash,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,bytes32 paramsHash,bytes32 memoriesHash,address node,uint64 startedAt,uint64 finishedAt,string level)"
        );

    bytes32 public immutable domainSeparator;
    address public immutable owner;
    mapping(address => bool) public registeredNode;

    event NodeSet(address indexed node, bool registered);

    constructor(uint256 chainId) {
        owner = msg.sender;
        domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Doppel"), keccak256("1"), chainId));
    }

    /// @notice Register or revoke a node's signing address.
    function setNode(address node, bool registered) external {
        require(msg.sender == owner, "only the owner registers nodes");
        registeredNode[node] = registered;
        emit NodeSet(node, registered);
    }

    function hashReceipt(Receipt calldata receipt) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    RECEIPT_TYPEHASH,
                    keccak256(bytes(receipt.turnId)),
                    keccak256(bytes(receipt.conversationId)),
                    receipt.personaVersionHash,
                    receipt.modelHash,
                    receipt.inputHash,
                    receipt.outputHash,
                    receipt.paramsHash,
                    receipt.memoriesHash,
                    receipt.node,
                    receipt.startedAt,
                    receipt.finishedAt,
                    keccak256(bytes(receipt.level))
                )
            );
    }

    /// @notice The address that signed the receipt (address(0) for a malformed signature).
    function signerOf(Receipt calldata receipt, bytes calldata signature) public view returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        // Reject malleable signatures (upper-half s), as ethers produces only lower-half ones.
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domainSeparator, hashReceipt(receipt)));
        return ecrecover(digest, v, r, s);
    }

    /// @notice True when a registered node signed this exact receipt and the receipt names it.
    function verify(Receipt calldata receipt, bytes calldata signature) external view returns (bool) {
        address signer = signerOf(receipt, signature);
        return signer != address(0) && signer == receipt.node && registeredNode[signer];
    }
}
