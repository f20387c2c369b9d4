import { Interface, id } from 'ethers';
import { describe, expect, it } from 'vitest';
import { TWIN_SHARES_ABI } from '../../../libs/chain/src/abis';
import { encodeBuyShares, encodeSellShares, formatEth, SELECTORS } from '../src/wallet';

describe('web wallet encoding', () => {
  it('uses the real selectors and encodes calls exactly as ethers does', () => {
    expect(SELECTORS.buyShares).toBe(id('buyShares(bytes32,uint256)').slice(0, 10));
    expect(SELECTORS.sellShares).toBe(id('sellShares(bytes32,uint256,uint256)').slice(0, 10));
    const shares = new Interface(TWIN_SHARES_ABI);
    const twinId = id('some twin');
    expect(encodeBuyShares(twinId, 3n)).toBe(shares.encodeFunctionData('buyShares', [twinId, 3n]));
    expect(encodeSellShares(twinId, 1n, 123_456_789n)).toBe(shares.encodeFunctionData('sellShares', [twinId, 1n, 123_456_789n]));
  });

  it('shows wei as ETH', () => {
    expect(formatEth(1_500_000_000_000_000_000n)).toBe('1.5 ETH');
    expect(formatEth('62500000000000')).toBe('0.000062 ETH');
    expect(formatEth(0n)).toBe('0 ETH');
    expect(formatEth(212_345_678_901n)).toBe('212.3 gwei');
  });
});
