export { MemoryModule } from './memory.module';
export { MemoryRepository, type MemoryHit, type MemorySearch, type NewMemoryInput } from './memory.repository';
