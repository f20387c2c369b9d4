import { Module } from '@nestjs/common';
import { NodesModule } from '@doppel/nodes';
import { PersonasModule } from '@doppel/personas';
import { ProducerQueuesModule } from '@doppel/queue';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { TurnIntakeRepository } from './turn-intake.repository';
import { TurnIntakeService } from './turn-intake.service';

@Module({
  imports: [NodesModule, PersonasModule, ProducerQueuesModule],
  providers: [ConversationsRepository, ConversationsService, TurnIntakeRepository, TurnIntakeService],
  exports: [ConversationsService, TurnIntakeService],
})
export class ConversationsModule {}
