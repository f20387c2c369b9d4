// Reads of stored turns (TurnLookup) without the worker's pipeline that TurnsModule holds: the gateway imports this
// alone, TurnsModule imports it for the stored done event.
import { Module } from '@nestjs/common';
import { ConversationsRepository } from '@doppel/conversations';
import { TurnLookupRepository } from './turn-lookup.repository';
import { TurnLookup } from './turn-lookup.service';

@Module({
  providers: [TurnLookup, TurnLookupRepository, ConversationsRepository],
  exports: [TurnLookup],
})
export class TurnLookupModule {}
