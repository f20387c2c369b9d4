// Forms batches of finished turns' receipts and posts their roots to ReceiptRegistry.
// Runs in every worker process: formation is serialised by an advisory lock in PostgreSQL (SettlementRepository),
// and posting cannot happen twice because the contract accepts a batch id once — a process that loses the race
// reads the batch back from the chain and records where it was posted.
import { Contract, JsonRpcProvider, Wallet, type Signer } from 'ethers';
import { RECEIPT_REGISTRY_ABI } from '@doppel/chain';
import type { BatchLimits, FormedBatch, SettlementRepository } from './settlement.repository';

export class SettlementPostError extends Error {
  constructor(readonly batchId: string, cause: unknown) {
    super(`batch ${batchId}: posting its root failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SettlementPostError';
  }
}

export interface SettlementTick {
  formed: FormedBatch[];
  posted: { batchId: string; txHash: string; blockNumber: number }[];
}

export class SettlementBatcher {
  private readonly registry: Contract;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly repository: SettlementRepository,
    registryAddress: string,
    poster: Signer,
    private readonly limits: BatchLimits,
  ) {
    this.registry = new Contract(registryAddress, RECEIPT_REGISTRY_ABI, poster);
  }

  static fromConfig(repository: SettlementRepository, config: { rpcUrl: string; registryAddress: string; posterKey: string; batchMax: number; batchMaxAgeMs: number }): SettlementBatcher {
    const provider = new JsonRpcProvider(config.rpcUrl, undefined, { pollingInterval: 250 });
    return new SettlementBatcher(repository, config.registryAddress, new Wallet(config.posterKey, provider), { max: config.batchMax, maxAgeMs: config.batchMaxAgeMs });
  }

  /** Forms every batch the limits call for, then posts every batch not posted yet. */
  async tick(now: Date = new Date()): Promise<SettlementTick> {
    const formed: FormedBatch[] = [];
    for (;;) {
      const batch = await this.repository.formBatch(this.limits, now);
      if (!batch) break;
      formed.push(batch);
    }
    const posted: SettlementTick['posted'] = [];
    for (const batch of await this.repository.unpostedBatches()) posted.push(await this.post(batch));
    return { formed, posted };
  }

  private async post(batch: FormedBatch): Promise<SettlementTick['posted'][number]> {
    try {
      const tx = await this.registry.getFunction('postBatch')(BigInt(batch.id), batch.root, BigInt(batch.count));
      const mined = await tx.wait();
      await this.repository.markPosted(batch.id, mined.hash, mined.blockNumber);
      return { batchId: batch.id, txHash: mined.hash, blockNumber: mined.blockNumber };
    } catch (error) {
      const [root] = (await this.registry.getFunction('batchOf')(BigInt(batch.id))) as [string];
      if (root !== batch.root) throw new SettlementPostError(batch.id, error);
      const [event] = await this.registry.queryFilter(this.registry.filters.BatchPosted!(BigInt(batch.id)));
      if (!event) throw new SettlementPostError(batch.id, error);
      await this.repository.markPosted(batch.id, event.transactionHash, event.blockNumber);
      return { batchId: batch.id, txHash: event.transactionHash, blockNumber: event.blockNumber };
    }
  }

  start(pollMs: number, onError: (error: unknown) => void): void {
    const loop = () => {
      this.running = this.tick()
        .catch(onError)
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, pollMs);
        });
    };
    this.timer = setTimeout(loop, pollMs);
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    if (timer) clearTimeout(timer);
    await this.running;
  }
}
