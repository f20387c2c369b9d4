import { Module } from '@nestjs/common';
import { ConfigModule } from '@doppel/config';
import { DatabaseModule } from '@doppel/db';
import { KnowledgeModule } from '@doppel/knowledge';
import { RedisModule } from '@doppel/redis';
import { SettlementModule } from '@doppel/settlement';
import { TurnsModule } from '@doppel/turns';
import { HeartbeatService } from './heartbeat.service';
import { KnowledgeConsumer } from './knowledge-consumer.service';
import { NodeStats } from './node-stats';
import { ReceiptSettlement } from './receipt-settlement.service';
import { TurnConsumers } from './turn-consumers.service';

/** One inference node: no HTTP server, only queue consumers, a heartbeat and the model backends. */
@Module({
  imports: [ConfigModule, DatabaseModule, RedisModule, TurnsModule, KnowledgeModule, SettlementModule],
  providers: [NodeStats, TurnConsumers, KnowledgeConsumer, HeartbeatService, ReceiptSettlement],
})
export class WorkerModule {}
