// Meters finished turns into the earnings ledger in the background, off the turn path, every few seconds.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { EarningsRepository } from './earnings.repository';
import type { PriceList } from './price-list';

export const priceListOf = (config: AppConfig): PriceList => ({
  per1kInputTokensWei: config.earnings.per1kInputTokensWei,
  per1kOutputTokensWei: config.earnings.per1kOutputTokensWei,
  levelPercent: config.earnings.levelPercent,
  reexecPercent: config.earnings.reexecPercent,
});

@Injectable()
export class EarningsMeter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EarningsMeter.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly earnings: EarningsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.earnings.meterIntervalMs === 0) return;
    this.timer = setInterval(() => void this.meterOnce(), this.config.earnings.meterIntervalMs);
    this.timer.unref();
  }

  async meterOnce(): Promise<{ turns: number; reexecutions: number }> {
    if (this.running) await this.running.catch(() => {});
    const run = this.earnings.meter(priceListOf(this.config)).catch((error: Error) => {
      this.logger.warn(`metering failed (it retries on the next tick): ${error.message}`);
      return { turns: 0, reexecutions: 0 };
    });
    this.running = run;
    return run;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
