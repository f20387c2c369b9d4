export { KnowledgeModule } from './knowledge.module';
export {
  KnowledgeRepository,
  type KnowledgeContent,
  type KnowledgeDocument,
  type KnowledgeDocumentView,
  type KnowledgeHit,
  type KnowledgeSearch,
  type EmbeddedChunk,
} from './knowledge.repository';
export { KnowledgeService } from './knowledge.service';
export { KnowledgeIndexer, type IndexOutcome } from './knowledge-indexer';
export { chunkDocument, DEFAULT_CHUNKING, type ChunkingOptions, type DocumentChunk } from './document-chunker';
export { validateKnowledgeUpload, KNOWLEDGE_MEDIA_TYPES, KNOWLEDGE_TITLE_MAX_CHARS, type KnowledgeUpload } from './knowledge-upload';
