import { Module } from '@nestjs/common';
import { InferenceModule } from '@doppel/inference';
import { MemoryModule } from '@doppel/memory';
import { PersonasModule } from '@doppel/personas';
import { TurnRunner } from './turn-runner.service';

@Module({
  imports: [InferenceModule, MemoryModule, PersonasModule],
  providers: [TurnRunner],
  exports: [TurnRunner, InferenceModule],
})
export class TurnsModule {}
