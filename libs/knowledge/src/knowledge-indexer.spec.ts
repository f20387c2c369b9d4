import { describe, expect, it } from 'vitest';
import { HashingEmbedder } from '@doppel/inference';
import { KnowledgeIndexer } from './knowledge-indexer';
import type { EmbeddedChunk, KnowledgeDocument, KnowledgeRepository } from './knowledge.repository';

/** The repository calls the indexer makes, recorded; the document is what getForIndexing returns. */
function fakeRepository(document: Partial<KnowledgeDocument> | null, swapSucceeds = true) {
  const swaps: { documentId: string; revision: number; embeddingModel: string; chunks: readonly EmbeddedChunk[] }[] = [];
  const failures: { documentId: string; revision: number; error: string }[] = [];
  const repository = {
    getForIndexing: async () => (document ? ({ id: 'doc', revision: 1, mediaType: 'text/markdown', content: '', ...document } as KnowledgeDocument) : null),
    replaceChunks: async (documentId: string, revision: number, embeddingModel: string, chunks: readonly EmbeddedChunk[]) => {
      swaps.push({ documentId, revision, embeddingModel, chunks });
      return swapSucceeds;
    },
    markFailed: async (documentId: string, revision: number, error: string) => void failures.push({ documentId, revision, error }),
  };
  return { repository: repository as unknown as KnowledgeRepository, swaps, failures };
}

/** Counts embed() calls, to show large documents are embedded in batches. */
class CountingEmbedder extends HashingEmbedder {
  calls: number[] = [];
  override async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.push(texts.length);
    return super.embed(texts);
  }
}

const manySections = Array.from({ length: 40 }, (_, i) => `## Section ${i}\n\nText of section ${i}.`).join('\n\n');

describe('KnowledgeIndexer', () => {
  it('chunks the current revision, embeds every chunk in batches, and swaps them in for that revision', async () => {
    const { repository, swaps } = fakeRepository({ revision: 3, content: manySections });
    const embedder = new CountingEmbedder(384);
    expect(await new KnowledgeIndexer(repository).index('doc', 3, embedder)).toBe('indexed');
    expect(swaps).toHaveLength(1);
    expect(swaps[0]).toMatchObject({ documentId: 'doc', revision: 3, embeddingModel: 'hashing-384' });
    expect(swaps[0]!.chunks.map((chunk) => chunk.content)).toEqual(Array.from({ length: 40 }, (_, i) => `## Section ${i}\n\nText of section ${i}.`));
    expect(swaps[0]!.chunks[5]!.embedding).toEqual(embedder.embedOne('## Section 5\n\nText of section 5.'));
    expect(embedder.calls.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(Math.max(...embedder.calls)).toBeLessThan(40);
  });

  it('does no work for a revision that is no longer current, or a document that is gone', async () => {
    const embedder = new CountingEmbedder(384);
    const newer = fakeRepository({ revision: 4, content: 'text' });
    expect(await new KnowledgeIndexer(newer.repository).index('doc', 3, embedder)).toBe('superseded');
    const gone = fakeRepository(null);
    expect(await new KnowledgeIndexer(gone.repository).index('doc', 3, embedder)).toBe('deleted');
    expect([...newer.swaps, ...gone.swaps]).toEqual([]);
    expect(embedder.calls).toEqual([]);
  });

  it('reports a revision replaced while it was being embedded as superseded', async () => {
    const { repository } = fakeRepository({ revision: 1, content: 'text' }, false);
    expect(await new KnowledgeIndexer(repository).index('doc', 1, new HashingEmbedder(384))).toBe('superseded');
  });

  it('records a failure with the reason and what the creator can do', async () => {
    const { repository, failures } = fakeRepository({ revision: 2 });
    await new KnowledgeIndexer(repository).fail('doc', 2, 'embedder crashed');
    expect(failures).toEqual([{ documentId: 'doc', revision: 2, error: expect.stringContaining('embedder crashed') }]);
    expect(failures[0]!.error).toContain('Upload the document again');
  });
});
