import { Module } from '@nestjs/common';
import { MemoryWriter } from './memory-writer';
import { MemoryRepository } from './memory.repository';
import { MemoryWritesRepository } from './memory-writes.repository';

@Module({ providers: [MemoryRepository, MemoryWritesRepository, MemoryWriter], exports: [MemoryRepository, MemoryWriter] })
export class MemoryModule {}
