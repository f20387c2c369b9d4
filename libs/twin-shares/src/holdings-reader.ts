// Reads twin-share holdings and prices from the chain, once per block per question: every check in the same block
// reuses the answer, and a new block drops them all.
import { Contract, type JsonRpcProvider } from 'ethers';
import { TWIN_SHARES_ABI } from '@doppel/chain';

export interface TwinMarket {
  twinId: string;
  supply: bigint;
  /** What the next `amount` shares cost, fees included, in wei. */
  buyCost: bigint;
  /** What selling one share pays now, fees taken, in wei (0 when nothing is held by anyone). */
  sellOneProceeds: bigint;
  block: number;
}

export class ChainUnreachableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the chain did not answer: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ChainUnreachableError';
  }
}

export class HoldingsReader {
  private readonly contract: Contract;
  private cachedBlock = -1;
  private readonly answers = new Map<string, Promise<bigint>>();
  private blockNumberQuery: { at: number; block: Promise<number> } | undefined;
  lookups = 0;

  constructor(
    private readonly provider: JsonRpcProvider,
    contractAddress: string,
    /** Block numbers are asked at most this often; checks in between reuse the last one. */
    private readonly blockPollMs = 250,
  ) {
    this.contract = new Contract(contractAddress, TWIN_SHARES_ABI, provider);
  }

  async currentBlock(): Promise<number> {
    const now = Date.now();
    if (!this.blockNumberQuery || now - this.blockNumberQuery.at > this.blockPollMs) {
      const block = this.provider.getBlockNumber();
      this.blockNumberQuery = { at: now, block };
      block.catch(() => (this.blockNumberQuery = undefined));
    }
    try {
      return await this.blockNumberQuery.block;
    } catch (error) {
      throw new ChainUnreachableError(error);
    }
  }

  async sharesOf(twinId: string, holder: string): Promise<{ shares: bigint; block: number }> {
    const block = await this.currentBlock();
    const shares = await this.cached(block, `shares:${twinId}:${holder.toLowerCase()}`, () => this.contract.getFunction('sharesOf')(twinId, holder, { blockTag: block }));
    return { shares, block };
  }

  async market(twinId: string, amount: bigint): Promise<TwinMarket> {
    const block = await this.currentBlock();
    const supply = await this.cached(block, `supply:${twinId}`, () => this.contract.getFunction('supplyOf')(twinId, { blockTag: block }));
    const [buyCost, sellOneProceeds] = await Promise.all([
      amount > 0n ? this.cached(block, `cost:${twinId}:${amount}`, () => this.contract.getFunction('buyPriceAfterFees')(twinId, amount, { blockTag: block })) : Promise.resolve(0n),
      supply > 0n ? this.cached(block, `proceeds:${twinId}`, () => this.contract.getFunction('sellPriceAfterFees')(twinId, 1n, { blockTag: block })) : Promise.resolve(0n),
    ]);
    return { twinId, supply, buyCost, sellOneProceeds, block };
  }

  private cached(block: number, key: string, read: () => Promise<bigint>): Promise<bigint> {
    if (block !== this.cachedBlock) {
      this.answers.clear();
      this.cachedBlock = block;
    }
    let answer = this.answers.get(key);
    if (!answer) {
      this.lookups += 1;
      answer = read().then(
        (value) => BigInt(value),
        (error: unknown) => {
          this.answers.delete(key);
          throw new ChainUnreachableError(error);
        },
      );
      this.answers.set(key, answer);
    }
    return answer;
  }
}
