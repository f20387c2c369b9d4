// The worker's side of knowledge: cut one revision of a document into chunks, embed them, swap them in atomically.
import { Injectable } from '@nestjs/common';
import type { EmbeddingBackend } from '@doppel/inference';
import { chunkDocument } from './document-chunker';
import { KnowledgeRepository, type EmbeddedChunk } from './knowledge.repository';

/** Texts per embed() call: small batches keep a node's event loop free between them (lock renewals, heartbeats). */
const EMBED_BATCH = 16;

/** indexed: its chunks now serve. superseded: a newer revision was uploaded (its own job indexes it). deleted: gone. */
export type IndexOutcome = 'indexed' | 'superseded' | 'deleted';

@Injectable()
export class KnowledgeIndexer {
  constructor(private readonly repository: KnowledgeRepository) {}

  async index(documentId: string, revision: number, embedder: EmbeddingBackend): Promise<IndexOutcome> {
    const document = await this.repository.getForIndexing(documentId);
    if (!document) return 'deleted';
    if (document.revision !== revision) return 'superseded';
    const chunks = chunkDocument(document.content, document.mediaType);
    const embedded: EmbeddedChunk[] = [];
    for (let start = 0; start < chunks.length; start += EMBED_BATCH) {
      const batch = chunks.slice(start, start + EMBED_BATCH);
      const vectors = await embedder.embed(batch.map((chunk) => chunk.content));
      batch.forEach((chunk, index) => embedded.push({ content: chunk.content, embedding: vectors[index]! }));
    }
    // Checked again inside the swap's transaction: the document may have changed while this node was embedding.
    const swapped = await this.repository.replaceChunks(documentId, revision, embedder.modelId, embedded);
    if (swapped) return 'indexed';
    return (await this.repository.getForIndexing(documentId)) ? 'superseded' : 'deleted';
  }

  /** After the last attempt: the creator sees why on the document, and what to do. */
  async fail(documentId: string, revision: number, reason: string): Promise<void> {
    await this.repository.markFailed(documentId, revision, `Indexing failed (${reason}). Upload the document again (PUT) to retry.`);
  }
}
