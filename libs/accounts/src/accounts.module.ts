import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { REDIS } from '@doppel/redis';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { RateLimiter } from './rate-limiter';

const rateLimiterProvider = {
  provide: RateLimiter,
  useFactory: (redis: Redis, config: AppConfig) => new RateLimiter(redis, config.redis.prefix),
  inject: [REDIS, APP_CONFIG],
};

@Module({ providers: [AccountsRepository, AccountsService, rateLimiterProvider], exports: [AccountsService, RateLimiter] })
export class AccountsModule {}
