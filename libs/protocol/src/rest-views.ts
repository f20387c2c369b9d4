// What some REST routes answer, for the routes' code and the web app alike (the gateway does not parse its own
// answers, so these are types, not schemas).

/** What a value the server builds looks like to a client, after JSON: its Dates arrive as ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [Key in keyof T]: Wire<T[Key]> }
      : T;

/** GET /twins/:twinId/market */
export interface TwinMarketView {
  twinId: string;
  contract: string;
  chainId: number;
  supply: string;
  /** Wei for one more share, fees included. */
  nextShareCostWei: string;
  /** Wei that selling one share pays now, fees taken. */
  sellOneProceedsWei: string;
  holder: string | null;
  held: string | null;
  block: number;
}

/** One node's earnings on one UTC day (the earnings ledger). */
export interface NodeDayEarnings {
  nodeAddress: string;
  day: string;
  turns: number;
  reexecutions: number;
  inputTokens: number;
  outputTokens: number;
  amountWei: string;
  /** Share of the day (of the part of today that has passed) with at least one turn in flight on the node. */
  utilisation: number;
}

/** GET /operator/economics */
export interface EconomicsView {
  days: number;
  perNodePerDay: NodeDayEarnings[];
  priceList: { per1kInputTokensWei: string; per1kOutputTokensWei: string; levelPercent: Record<string, number>; reexecPercent: number };
}
