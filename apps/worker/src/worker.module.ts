import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG, ConfigModule, type AppConfig } from '@doppel/config';
import { DatabaseModule } from '@doppel/db';
import { QueueName } from '@doppel/queue';
import { bullConnectionOptions, RedisModule } from '@doppel/redis';
import { TurnsModule } from '@doppel/turns';
import { HeartbeatService } from './heartbeat.service';
import { NodeStats } from './node-stats';
import { TurnProcessor } from './turn.processor';

/** One inference node: no HTTP server, only queue consumers, a heartbeat and the model backends. */
@Module({
  imports: [
    ConfigModule,
    DatabaseModule,
    RedisModule,
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        connection: bullConnectionOptions(config.redis.url),
        prefix: `${config.redis.prefix}:bull`,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Turns }),
    TurnsModule,
  ],
  providers: [NodeStats, TurnProcessor, HeartbeatService],
})
export class WorkerModule {}
