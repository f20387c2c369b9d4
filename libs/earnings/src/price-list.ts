// What a served turn earns its node: tokens in and out at their prices per 1,000, times a percent for the level of
// proof it carried. Integer wei throughout, rounded down (the node is never paid a fraction it did not earn).
export interface PriceList {
  per1kInputTokensWei: bigint;
  per1kOutputTokensWei: bigint;
  /** Percent of the token price by verification level; a level missing here earns 100 %. */
  levelPercent: Readonly<Record<string, number>>;
  /** A re-execution done for another node earns this percent of the turn's token price. */
  reexecPercent: number;
}

export interface MeteredWork {
  inputTokens: number;
  outputTokens: number;
  level: string;
}

export const levelPercentOf = (prices: PriceList, level: string): number => prices.levelPercent[level] ?? 100;

/** The same arithmetic as the ledger's metering statement (EarningsRepository.meter), which the tests hold it to. */
export function turnEarningWei(prices: PriceList, work: MeteredWork): bigint {
  const tokenPrice = BigInt(work.inputTokens) * prices.per1kInputTokensWei + BigInt(work.outputTokens) * prices.per1kOutputTokensWei;
  return (tokenPrice * BigInt(levelPercentOf(prices, work.level))) / 100_000n;
}

export function reexecEarningWei(prices: PriceList, work: Omit<MeteredWork, 'level'>): bigint {
  const tokenPrice = BigInt(work.inputTokens) * prices.per1kInputTokensWei + BigInt(work.outputTokens) * prices.per1kOutputTokensWei;
  return (tokenPrice * BigInt(prices.reexecPercent)) / 100_000n;
}
