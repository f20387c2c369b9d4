import { Module } from '@nestjs/common';
import { PersonasModule } from '@doppel/personas';
import { ConversationsService } from './conversations.service';
import { TurnIntakeService } from './turn-intake.service';
import { TurnLookup } from './turn-lookup.service';
import { TurnQueues } from './turn-queues';

@Module({
  imports: [PersonasModule],
  providers: [ConversationsService, TurnIntakeService, TurnQueues, TurnLookup],
  exports: [ConversationsService, TurnIntakeService, TurnLookup],
})
export class ConversationsModule {}
