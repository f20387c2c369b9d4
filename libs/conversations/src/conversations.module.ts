import { Module } from '@nestjs/common';
import { NodesModule } from '@doppel/nodes';
import { PersonasModule } from '@doppel/personas';
import { ProducerQueuesModule } from '@doppel/queue';
import { TurnRepository } from '@doppel/turns';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { TurnIntakeRepository } from './turn-intake.repository';
import { TurnIntakeService } from './turn-intake.service';
import { TurnLookupRepository } from './turn-lookup.repository';
import { TurnLookup } from './turn-lookup.service';

@Module({
  imports: [NodesModule, PersonasModule, ProducerQueuesModule],
  providers: [ConversationsRepository, ConversationsService, TurnIntakeRepository, TurnIntakeService, TurnLookupRepository, TurnLookup, TurnRepository],
  exports: [ConversationsService, TurnIntakeService, TurnLookup],
})
export class ConversationsModule {}
