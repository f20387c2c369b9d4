// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Shares of digital twins on a quadratic bonding curve. Holders of a twin's shares may be granted access to it; its
/// creator earns a fee on every trade. The curve and the rounding rules are documented in docs/economics.md.
///
/// Curve: the k-th share of a twin (k = 1, 2, ...) costs k^2 * 1 ether / curveDivisor, so buying `amount` shares at
/// supply s costs (S(s + amount) - S(s)) * 1 ether / curveDivisor with S(n) = n(n+1)(2n+1)/6, the sum of squares
/// (friend.tech's formula with the index moved by one so that no share is free and supply can return to zero).
/// Rounding is always in the contract's favour: a buyer pays the price rounded up, a seller is paid it rounded down,
/// fees are rounded up, so each twin's reserve covers every share still held.
contract TwinShares {
    struct Twin {
        address creator;
        uint256 supply;
        uint256 reserve;
    }

    uint256 public constant MAX_FEE_BPS = 1000;

    address public owner;
    address public protocolFeeRecipient;
    uint256 public protocolFeeBps;
    uint256 public creatorFeeBps;
    uint256 public immutable curveDivisor;

    mapping(bytes32 => Twin) public twins;
    mapping(bytes32 => mapping(address => uint256)) public sharesOf;
    /// Fees are pulled, never pushed: a trade never calls a creator's or the protocol's code.
    mapping(address => uint256) public feesOwed;

    uint256 private locked = 1;

    event TwinCreated(bytes32 indexed twinId, address indexed creator);
    event Trade(
        bytes32 indexed twinId,
        address indexed trader,
        bool isBuy,
        uint256 amount,
        uint256 price,
        uint256 protocolFee,
        uint256 creatorFee,
        uint256 supplyAfter
    );
    event FeesWithdrawn(address indexed recipient, uint256 amount);
    event FeesChanged(uint256 protocolFeeBps, uint256 creatorFeeBps, address protocolFeeRecipient);

    error NotOwner();
    error TwinExists();
    error UnknownTwin();
    error ZeroAmount();
    error FeeTooHigh();
    error InsufficientPayment(uint256 required, uint256 sent);
    error InsufficientShares(uint256 held, uint256 requested);
    error ProceedsBelowMinimum(uint256 proceeds, uint256 minimum);
    error TransferFailed();
    error Reentrancy();

    modifier nonReentrant() {
        if (locked != 1) revert Reentrancy();
        locked = 2;
        _;
        locked = 1;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor(uint256 curveDivisor_, uint256 protocolFeeBps_, uint256 creatorFeeBps_, address protocolFeeRecipient_) {
        if (protocolFeeBps_ > MAX_FEE_BPS || creatorFeeBps_ > MAX_FEE_BPS) revert FeeTooHigh();
        require(curveDivisor_ > 0, "divisor");
        owner = msg.sender;
        curveDivisor = curveDivisor_;
        protocolFeeBps = protocolFeeBps_;
        creatorFeeBps = creatorFeeBps_;
        protocolFeeRecipient = protocolFeeRecipient_;
    }

    function setFees(uint256 protocolFeeBps_, uint256 creatorFeeBps_, address protocolFeeRecipient_) external onlyOwner {
        if (protocolFeeBps_ > MAX_FEE_BPS || creatorFeeBps_ > MAX_FEE_BPS) revert FeeTooHigh();
        protocolFeeBps = protocolFeeBps_;
        creatorFeeBps = creatorFeeBps_;
        protocolFeeRecipient = protocolFeeRecipient_;
        emit FeesChanged(protocolFeeBps_, creatorFeeBps_, protocolFeeRecipient_);
    }

    /// The caller becomes the twin's creator (who earns its creator fee). A twin id is claimed once.
    function createTwin(bytes32 twinId) external {
        if (twins[twinId].creator != address(0)) revert TwinExists();
        twins[twinId].creator = msg.sender;
        emit TwinCreated(twinId, msg.sender);
    }

    function supplyOf(bytes32 twinId) external view returns (uint256) {
        return twins[twinId].supply;
    }

    function creatorOf(bytes32 twinId) external view returns (address) {
        return twins[twinId].creator;
    }

    function sumOfSquares(uint256 n) internal pure returns (uint256) {
        return (n * (n + 1) * (2 * n + 1)) / 6;
    }

    /// Curve cost of shares supply+1 .. supply+amount, times curveDivisor (exact; divided with the rounding the caller needs).
    function scaledCost(uint256 supply, uint256 amount) internal pure returns (uint256) {
        return (sumOfSquares(supply + amount) - sumOfSquares(supply)) * 1 ether;
    }

    function ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function feesOn(uint256 price) public view returns (uint256 protocolFee, uint256 creatorFee) {
        protocolFee = ceilDiv(price * protocolFeeBps, 10_000);
        creatorFee = ceilDiv(price * creatorFeeBps, 10_000);
    }

    /// What `amount` more shares cost on the curve, before fees (rounded up).
    function buyPrice(bytes32 twinId, uint256 amount) public view returns (uint256) {
        return ceilDiv(scaledCost(twins[twinId].supply, amount), curveDivisor);
    }

    /// What selling `amount` shares pays from the curve, before fees (rounded down).
    function sellPrice(bytes32 twinId, uint256 amount) public view returns (uint256) {
        uint256 supply = twins[twinId].supply;
        if (amount > supply) revert InsufficientShares(supply, amount);
        return scaledCost(supply - amount, amount) / curveDivisor;
    }

    function buyPriceAfterFees(bytes32 twinId, uint256 amount) external view returns (uint256) {
        uint256 price = buyPrice(twinId, amount);
        (uint256 protocolFee, uint256 creatorFee) = feesOn(price);
        return price + protocolFee + creatorFee;
    }

    function sellPriceAfterFees(bytes32 twinId, uint256 amount) external view returns (uint256) {
        uint256 price = sellPrice(twinId, amount);
        (uint256 protocolFee, uint256 creatorFee) = feesOn(price);
        return price > protocolFee + creatorFee ? price - protocolFee - creatorFee : 0;
    }

    /// Pays for `amount` shares; whatever is sent above the price with fees comes back.
    function buyShares(bytes32 twinId, uint256 amount) external payable nonReentrant {
        Twin storage twin = twins[twinId];
        if (twin.creator == address(0)) revert UnknownTwin();
        if (amount == 0) revert ZeroAmount();
        uint256 price = buyPrice(twinId, amount);
        (uint256 protocolFee, uint256 creatorFee) = feesOn(price);
        uint256 total = price + protocolFee + creatorFee;
        if (msg.value < total) revert InsufficientPayment(total, msg.value);

        twin.supply += amount;
        twin.reserve += price;
        sharesOf[twinId][msg.sender] += amount;
        feesOwed[protocolFeeRecipient] += protocolFee;
        feesOwed[twin.creator] += creatorFee;
        emit Trade(twinId, msg.sender, true, amount, price, protocolFee, creatorFee, twin.supply);

        if (msg.value > total) send(msg.sender, msg.value - total);
    }

    function sellShares(bytes32 twinId, uint256 amount, uint256 minProceeds) external nonReentrant {
        Twin storage twin = twins[twinId];
        if (twin.creator == address(0)) revert UnknownTwin();
        if (amount == 0) revert ZeroAmount();
        uint256 held = sharesOf[twinId][msg.sender];
        if (held < amount) revert InsufficientShares(held, amount);
        uint256 price = sellPrice(twinId, amount);
        (uint256 protocolFee, uint256 creatorFee) = feesOn(price);
        // Fees rounded up can exceed a tiny price; the seller then gets nothing and the fees take only the price.
        if (protocolFee > price) protocolFee = price;
        if (creatorFee > price - protocolFee) creatorFee = price - protocolFee;
        uint256 proceeds = price - protocolFee - creatorFee;
        if (proceeds < minProceeds) revert ProceedsBelowMinimum(proceeds, minProceeds);

        sharesOf[twinId][msg.sender] = held - amount;
        twin.supply -= amount;
        twin.reserve -= price;
        // The rounding dust left when the last share is sold belongs to the protocol.
        if (twin.supply == 0 && twin.reserve > 0) {
            feesOwed[protocolFeeRecipient] += twin.reserve;
            twin.reserve = 0;
        }
        feesOwed[protocolFeeRecipient] += protocolFee;
        feesOwed[twin.creator] += creatorFee;
        emit Trade(twinId, msg.sender, false, amount, price, protocolFee, creatorFee, twin.supply);

        if (proceeds > 0) send(msg.sender, proceeds);
    }

    function withdrawFees() external nonReentrant {
        uint256 amount = feesOwed[msg.sender];
        feesOwed[msg.sender] = 0;
        emit FeesWithdrawn(msg.sender, amount);
        if (amount > 0) send(msg.sender, amount);
    }

    function send(address to, uint256 amount) private {
        (bool sent, ) = to.call{value: amount}("");
        if (!sent) revert TransferFailed();
    }
}
