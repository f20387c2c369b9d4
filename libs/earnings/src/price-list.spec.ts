import { describe, expect, it } from 'vitest';
import { reexecEarningWei, turnEarningWei, type PriceList } from './price-list';

const prices: PriceList = { per1kInputTokensWei: 2_000n, per1kOutputTokensWei: 6_000n, levelPercent: { none: 100, signed: 110 }, reexecPercent: 50 };

describe('price list', () => {
  it('prices tokens per 1,000 and applies the level percent, rounding down', () => {
    // 1500 in × 2000 + 500 out × 6000 = 6,000,000 → / 1000 = 6000 wei at 100 %
    expect(turnEarningWei(prices, { inputTokens: 1500, outputTokens: 500, level: 'none' })).toBe(6000n);
    expect(turnEarningWei(prices, { inputTokens: 1500, outputTokens: 500, level: 'signed' })).toBe(6600n);
    // A level the list does not name earns 100 %.
    expect(turnEarningWei(prices, { inputTokens: 1500, outputTokens: 500, level: 'reexec' })).toBe(6000n);
    expect(turnEarningWei(prices, { inputTokens: 1, outputTokens: 0, level: 'none' })).toBe(2n);
    expect(turnEarningWei({ ...prices, per1kInputTokensWei: 999n }, { inputTokens: 1, outputTokens: 0, level: 'none' })).toBe(0n);
  });

  it('pays a re-execution its percent of the token price', () => {
    expect(reexecEarningWei(prices, { inputTokens: 1500, outputTokens: 500 })).toBe(3000n);
  });
});
