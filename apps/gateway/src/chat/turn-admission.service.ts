import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiter } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { TurnIntakeService, type AcceptedTurn, type TurnRequest } from '@doppel/conversations';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { REDIS } from '@doppel/redis';

/** Every way a turn starts, over the socket or REST: the key's turn rate first, then the intake. */
@Injectable()
export class TurnAdmission {
  private readonly rateLimiter: RateLimiter;

  constructor(
    private readonly intake: TurnIntakeService,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.rateLimiter = new RateLimiter(redis, config.redis.prefix);
  }

  async accept(accountId: string, request: TurnRequest): Promise<AcceptedTurn> {
    const perMinute = this.config.gateway.turnsPerMinute;
    const rate = await this.rateLimiter.hit('turns', accountId, perMinute);
    if (!rate.allowed) {
      throw new DoppelError(ErrorCode.RateLimited, `More than ${perMinute} turns a minute on this key; retry in ${rate.retryAfterSeconds} s.`, {
        retryAfterSeconds: rate.retryAfterSeconds,
      });
    }
    return this.intake.accept(accountId, request);
  }
}
