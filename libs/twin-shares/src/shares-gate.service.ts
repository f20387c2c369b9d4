// Decides whether an account may talk to a gated persona: its linked wallet must hold enough of the twin's shares
// now (at the chain's latest block). It fails closed: no chain, no answer, or no contract means no access.
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { formatEther, getAddress, type JsonRpcProvider } from 'ethers';
import { chainProvider } from '@doppel/chain';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { SharesGate } from '@doppel/personas';
import { DoppelError, ErrorCode, type TwinMarketView } from '@doppel/protocol';
import { ChainUnreachableError, HoldingsReader } from './holdings-reader';
import { WalletRepository } from './wallet.repository';

export interface SharesRequiredDetails {
  twinId: string;
  minShares: number;
  held: string;
  missing: string;
  wallet: string | null;
  contract: string;
  chainId: number;
  /** Wei for the missing shares, fees included, at `block`. */
  costWei: string;
  block: number;
}

export type { TwinMarketView };

@Injectable()
export class SharesGateService implements OnModuleDestroy {
  private readonly logger = new Logger(SharesGateService.name);
  private readonly provider?: JsonRpcProvider;
  private readonly reader?: HoldingsReader;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly wallets: WalletRepository,
  ) {
    const { rpcUrl, chainId, rpcTimeoutMs, twinSharesAddress } = config.chain;
    if (rpcUrl && twinSharesAddress) {
      this.provider = chainProvider(rpcUrl, chainId, rpcTimeoutMs);
      this.reader = new HoldingsReader(this.provider, twinSharesAddress);
    }
  }

  /** Resolves when the account may use the persona; throws SHARES_REQUIRED or CHAIN_UNAVAILABLE otherwise. */
  async check(accountId: string, personaName: string, gate: SharesGate | undefined): Promise<void> {
    if (!gate) return;
    const reader = this.requireReader(personaName);
    const wallet = await this.wallets.addressOf(accountId);
    const held = wallet ? (await this.chainAnswer(() => reader.sharesOf(gate.twinId, wallet))).shares : 0n;
    const min = BigInt(gate.minShares);
    if (held >= min) return;
    const missing = min - held;
    const market = await this.chainAnswer(() => reader.market(gate.twinId, missing));
    const contract = this.config.chain.twinSharesAddress!;
    const details: SharesRequiredDetails = {
      twinId: gate.twinId,
      minShares: gate.minShares,
      held: held.toString(),
      missing: missing.toString(),
      wallet: wallet ? getAddress(wallet) : null,
      contract,
      chainId: this.config.chain.chainId,
      costWei: market.buyCost.toString(),
      block: market.block,
    };
    const who = wallet ? `Your wallet ${getAddress(wallet)} holds ${held}` : 'No wallet is linked to your account yet (link one: POST /wallets/challenge, then POST /wallets/link)';
    throw new DoppelError(
      ErrorCode.SharesRequired,
      `${personaName} is for holders of at least ${gate.minShares} share(s) of twin ${gate.twinId}. ${who}: buy ${missing} more on TwinShares ${contract} (chain ${this.config.chain.chainId}) for ${formatEther(market.buyCost)} ETH, fees included, at block ${market.block}.`,
      details,
    );
  }

  /** Price, supply and (when a wallet is linked) holdings of a twin, for the persona page. */
  async market(twinId: string, accountId: string): Promise<TwinMarketView> {
    const reader = this.requireReader(`Twin ${twinId}`);
    const wallet = await this.wallets.addressOf(accountId);
    const [market, holding] = await Promise.all([
      this.chainAnswer(() => reader.market(twinId, 1n)),
      wallet ? this.chainAnswer(() => reader.sharesOf(twinId, wallet)) : Promise.resolve(undefined),
    ]);
    return {
      twinId,
      contract: this.config.chain.twinSharesAddress!,
      chainId: this.config.chain.chainId,
      supply: market.supply.toString(),
      nextShareCostWei: market.buyCost.toString(),
      sellOneProceedsWei: market.sellOneProceeds.toString(),
      holder: wallet ? getAddress(wallet) : null,
      held: holding ? holding.shares.toString() : null,
      block: market.block,
    };
  }

  /** How many chain reads the cache let through (for tests and metrics). */
  get chainLookups(): number {
    return this.reader?.lookups ?? 0;
  }

  private requireReader(subject: string): HoldingsReader {
    if (!this.reader) {
      throw new DoppelError(
        ErrorCode.ChainUnavailable,
        `${subject} is for holders of twin shares, and this gateway has no chain configured (CHAIN_RPC_URL and TWIN_SHARES_ADDRESS), so nobody can be admitted.`,
      );
    }
    return this.reader;
  }

  private async chainAnswer<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof ChainUnreachableError)) throw error;
      this.logger.warn(`holdings check failed closed: ${error.message}`);
      throw new DoppelError(
        ErrorCode.ChainUnavailable,
        `The chain that holds twin shares (${this.config.chain.rpcUrl}) did not answer, so share holdings cannot be checked; access is refused until it answers. Try again shortly.`,
      );
    }
  }

  onModuleDestroy(): void {
    this.provider?.destroy();
  }
}
