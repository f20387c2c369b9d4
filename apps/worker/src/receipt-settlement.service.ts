// Settles finished turns' receipts on the chain (libs/settlement) when SETTLEMENT_* is configured. Every worker runs
// it: forming a batch takes a PostgreSQL advisory lock and the registry accepts a batch id once, so several nodes
// never settle a receipt twice.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { SettlementBatcher, SettlementRepository } from '@doppel/settlement';

@Injectable()
export class ReceiptSettlement implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReceiptSettlement.name);
  private batcher: SettlementBatcher | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly settlements: SettlementRepository,
  ) {}

  onApplicationBootstrap(): void {
    const settlement = this.config.settlement;
    if (!settlement) return;
    this.batcher = SettlementBatcher.fromConfig(this.settlements, settlement);
    this.batcher.start(settlement.pollMs, (error) => this.logger.warn(`receipt settlement: ${(error as Error).message} (retrying every ${settlement.pollMs} ms)`));
    this.logger.log(`settling receipts to ${settlement.registryAddress} (batches of at most ${settlement.batchMax}, or every ${settlement.batchMaxAgeMs} ms)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher?.stop();
  }
}
