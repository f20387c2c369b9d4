import { Module } from '@nestjs/common';
import { ConfigModule } from '@doppel/config';
import { DatabaseModule } from '@doppel/db';
import { RedisModule } from '@doppel/redis';
import { TurnsModule } from '@doppel/turns';
import { HeartbeatService } from './heartbeat.service';
import { NodeStats } from './node-stats';
import { TurnConsumers } from './turn-consumers.service';

/** One inference node: no HTTP server, only queue consumers, a heartbeat and the model backends. */
@Module({
  imports: [ConfigModule, DatabaseModule, RedisModule, TurnsModule],
  providers: [NodeStats, TurnConsumers, HeartbeatService],
})
export class WorkerModule {}
