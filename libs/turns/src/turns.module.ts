import { Module } from '@nestjs/common';
import { MemoryModule } from '@doppel/memory';
import { ModelsModule } from '@doppel/models';
import { PersonasModule } from '@doppel/personas';
import { TurnRunner } from './turn-runner.service';

@Module({
  imports: [ModelsModule, MemoryModule, PersonasModule],
  providers: [TurnRunner],
  exports: [TurnRunner, ModelsModule],
})
export class TurnsModule {}
