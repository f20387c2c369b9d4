import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsModule } from '@doppel/accounts';
import { ConfigModule } from '@doppel/config';
import { ConversationsModule } from '@doppel/conversations';
import { DatabaseHealthRepository, DatabaseModule } from '@doppel/db';
import { HubModule } from '@doppel/hub';
import { PersonasModule } from '@doppel/personas';
import { ModelsModule } from '@doppel/models';
import { KnowledgeModule } from '@doppel/knowledge';
import { MemoryModule } from '@doppel/memory';
import { NodesModule } from '@doppel/nodes';
import { RedisModule } from '@doppel/redis';
import { SettlementModule } from '@doppel/settlement';
import { StreamingModule } from '@doppel/streaming';
import { TurnLookupModule, TurnRepository } from '@doppel/turns';
import { TwinSharesModule } from '@doppel/twin-shares';
import { EarningsModule } from '@doppel/earnings';
import { ApiKeyGuard } from './auth/api-key.guard';
import { KeyAuthenticator } from './auth/key-authenticator.service';
import { ChatControlsGateway } from './chat/chat-controls.gateway';
import { ChatGateway } from './chat/chat.gateway';
import { ConsumerMemories } from './memories/consumer-memories.service';
import { TurnDeadlineService } from './chat/turn-deadline.service';
import { TurnAdmission } from './chat/turn-admission.service';
import { TurnRelayService } from './chat/turn-relay.service';
import { AccountsController } from './http/accounts.controller';
import { ConversationsController } from './http/conversations.controller';
import { HealthController } from './http/health.controller';
import { HubController } from './http/hub.controller';
import { LimitsController } from './http/limits.controller';
import { MemoriesController } from './http/memories.controller';
import { MetricsController } from './http/metrics.controller';
import { ModelsController } from './http/models.controller';
import { NodesController } from './http/nodes.controller';
import { ReceiptsController } from './http/receipts.controller';
import { TeeMeasurementsController } from './http/tee-measurements.controller';
import { TurnsController } from './http/turns.controller';
import { PersonasController } from './http/personas.controller';
import { PersonaPreviewController } from './http/persona-preview.controller';
import { OpsGateway } from './ops/ops.gateway';
import { OpsSnapshotService } from './ops/ops-snapshot.service';
import { TurnStatsRepository } from './ops/turn-stats.repository';
import { KnowledgeHttpModule } from './http/knowledge-http.module';
import { PersonaFilesModule } from './http/persona-files.module';
import { OhttpController } from './ohttp/ohttp.controller';
import { OhttpGateway } from './ohttp/ohttp-gateway.service';
import { OpenAiController } from './openai/openai.controller';
import { OpenAiTurns } from './openai/openai-turns.service';
import { WalletsController } from './http/wallets.controller';
import { EconomicsController } from './http/economics.controller';
import { PersonaAccess } from './shares/persona-access.service';

/** REST + socket.io. Produces turn jobs; never runs a model and never consumes a queue. */
@Module({
  imports: [
    ConfigModule,
    DatabaseModule,
    RedisModule,
    AccountsModule,
    PersonasModule,
    ConversationsModule,
    TurnLookupModule,
    ModelsModule,
    NodesModule,
    SettlementModule,
    MemoryModule,
    KnowledgeModule,
    KnowledgeHttpModule,
    PersonaFilesModule,
    HubModule,
    StreamingModule,
    TwinSharesModule,
    EarningsModule,
  ],
  controllers: [
    AccountsController,
    PersonasController,
    PersonaPreviewController,
    ConversationsController,
    ModelsController,
    NodesController,
    ReceiptsController,
    TeeMeasurementsController,
    MetricsController,
    MemoriesController,
    TurnsController,
    HealthController,
    LimitsController,
    HubController,
    OhttpController,
    OpenAiController,
    WalletsController,
    EconomicsController,
  ],
  providers: [PersonaAccess, KeyAuthenticator, { provide: APP_GUARD, useClass: ApiKeyGuard }, TurnAdmission, ConsumerMemories, ChatControlsGateway, TurnRelayService, TurnDeadlineService, TurnRepository, TurnStatsRepository, DatabaseHealthRepository, ChatGateway, OpsSnapshotService, OpsGateway, OhttpGateway, OpenAiTurns],
})
export class GatewayModule {}
