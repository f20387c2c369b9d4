import { Module } from '@nestjs/common';
import { PersonasModule } from '@doppel/personas';
import { ConversationsService } from './conversations.service';
import { TurnIntakeService } from './turn-intake.service';
import { TurnQueues } from './turn-queues';

@Module({
  imports: [PersonasModule],
  providers: [ConversationsService, TurnIntakeService, TurnQueues],
  exports: [ConversationsService, TurnIntakeService],
})
export class ConversationsModule {}
