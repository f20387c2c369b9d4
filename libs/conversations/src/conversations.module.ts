import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { PersonasModule } from '@doppel/personas';
import { QueueName } from '@doppel/queue';
import { ConversationsService } from './conversations.service';
import { TurnIntakeService } from './turn-intake.service';

/** Needs BullModule.forRoot in the importing app; registering the queue here only produces jobs. */
@Module({
  imports: [PersonasModule, BullModule.registerQueue({ name: QueueName.Turns })],
  providers: [ConversationsService, TurnIntakeService],
  exports: [ConversationsService, TurnIntakeService],
})
export class ConversationsModule {}
