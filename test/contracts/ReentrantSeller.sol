// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

interface ITwinShares {
    function buyShares(bytes32 twinId, uint256 amount) external payable;
    function sellShares(bytes32 twinId, uint256 amount, uint256 minProceeds) external;
}

/// Test only: a holder whose receive() tries to sell again while the first sale is paying it.
contract ReentrantSeller {
    ITwinShares public immutable shares;
    bytes32 public twinId;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;
    bytes public reentryError;
    bool private armed;

    constructor(address shares_) {
        shares = ITwinShares(shares_);
    }

    function buy(bytes32 twinId_, uint256 amount) external payable {
        twinId = twinId_;
        shares.buyShares{value: msg.value}(twinId_, amount);
    }

    function attack(uint256 amount) external {
        armed = true;
        shares.sellShares(twinId, amount, 0);
    }

    receive() external payable {
        if (!armed || msg.sender != address(shares) || reentryAttempts > 0) return;
        reentryAttempts += 1;
        try shares.sellShares(twinId, 1, 0) {
            reentrySucceeded = true;
        } catch (bytes memory reason) {
            reentryError = reason;
        }
    }
}
