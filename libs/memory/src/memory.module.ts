import { Module } from '@nestjs/common';
import { MemoryWriter } from './memory-writer';
import { MemoryRepository } from './memory.repository';

@Module({ providers: [MemoryRepository, MemoryWriter], exports: [MemoryRepository, MemoryWriter] })
export class MemoryModule {}
