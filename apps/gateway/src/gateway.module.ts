import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsModule } from '@doppel/accounts';
import { APP_CONFIG, ConfigModule, type AppConfig } from '@doppel/config';
import { ConversationsModule } from '@doppel/conversations';
import { DatabaseModule } from '@doppel/db';
import { PersonasModule } from '@doppel/personas';
import { bullConnectionOptions, RedisModule } from '@doppel/redis';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ChatGateway } from './chat/chat.gateway';
import { TurnRelayService } from './chat/turn-relay.service';
import { AccountsController } from './http/accounts.controller';
import { ConversationsController } from './http/conversations.controller';
import { HealthController } from './http/health.controller';
import { PersonasController } from './http/personas.controller';

/** REST + socket.io. Produces turn jobs; never runs a model and never consumes a queue. */
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
    AccountsModule,
    PersonasModule,
    ConversationsModule,
  ],
  controllers: [AccountsController, PersonasController, ConversationsController, HealthController],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, TurnRelayService, ChatGateway],
})
export class GatewayModule {}
