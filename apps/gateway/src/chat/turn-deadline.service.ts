import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { TurnStreamPublishers } from '@doppel/streaming';
import { failOverdueTurns, TurnRepository } from '@doppel/turns';

/** Every few seconds, fails turns past TURN_DEADLINE_MS (see failOverdueTurns). */
@Injectable()
export class TurnDeadlineService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TurnDeadlineService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly turns: TurnRepository,
    private readonly publishers: TurnStreamPublishers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(5000, Math.max(250, Math.floor(this.config.turns.deadlineMs / 4)));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    try {
      const failed = await failOverdueTurns(this.turns, this.publishers, this.config.turns.deadlineMs);
      if (failed.length > 0) this.logger.warn(`failed ${failed.length} turn(s) past their deadline`);
    } catch (error) {
      this.logger.warn(`deadline sweep failed: ${(error as Error).message}`);
    }
  }
}
