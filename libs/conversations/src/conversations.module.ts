import { Module } from '@nestjs/common';
import { NodesModule } from '@doppel/nodes';
import { PersonasModule } from '@doppel/personas';
import { ProducerQueuesModule } from '@doppel/queue';
import { ConversationsService } from './conversations.service';
import { TurnIntakeRepository } from './turn-intake.repository';
import { TurnIntakeService } from './turn-intake.service';
import { TurnLookup } from './turn-lookup.service';

@Module({
  imports: [NodesModule, PersonasModule, ProducerQueuesModule],
  providers: [ConversationsService, TurnIntakeRepository, TurnIntakeService, TurnLookup],
  exports: [ConversationsService, TurnIntakeService, TurnLookup],
})
export class ConversationsModule {}
