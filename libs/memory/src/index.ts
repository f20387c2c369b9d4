export { MemoryModule } from './memory.module';
export { MemoryWriter } from './memory-writer';
export { MemoryRepository, memoryHitsFromJson, type MemoryHit, type MemorySearch, type NewMemoryInput, type RecallQuery } from './memory.repository';
export { extractFacts, MAX_FACTS_PER_MESSAGE } from './fact-extractor';
export { isRestatement } from './fact-dedup';
export { factSlot, type FactSlot } from './fact-slots';
