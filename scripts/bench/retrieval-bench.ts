// Retrieval quality through the real memory path: every fact of models/eval/paraphrases.json is stored as a
// memory (embedded, in pgvector, HNSW), then each question retrieves the top 5 for the same persona + consumer.
// Reports recall@1 and recall@5 for the hashing baseline and for doppel-embed-small. Writes results/retrieval.json.
//   npm run bench:retrieval
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '@doppel/config';
import { HashingEmbedder, OnnxEmbeddingBackend, type EmbeddingBackend } from '@doppel/inference';
import { MemoryRepository } from '@doppel/memory';
import { hashModelFolder, ModelRegistry, ModelsRepository } from '@doppel/models';
import { machine, scratchDatabase, writeResult } from './bench-support';

interface Pair {
  fact: string;
  question: string;
}

async function main() {
  const pairs = JSON.parse(await readFile(resolve(__dirname, '../../models/eval/paraphrases.json'), 'utf8')) as Pair[];
  const scratch = await scratchDatabase('doppel_bench_retrieval');
  try {
    const config = loadConfig({ DATABASE_URL: scratch.url, MODELS_DIR: resolve(__dirname, '../../models') });
    await new ModelRegistry(new ModelsRepository(scratch.db), config).syncBuiltIns();
    const account = await scratch.db.insertInto('accounts').values({ display_name: 'bench', api_key_prefix: 'benchbench0', api_key_hash: '0'.repeat(64) }).returning('id').executeTakeFirstOrThrow();
    const persona = await scratch.db.insertInto('personas').values({ owner_id: account.id, visibility: 'private' }).returning('id').executeTakeFirstOrThrow();
    const memory = new MemoryRepository(scratch.db, config);

    const embedDir = resolve(__dirname, '../../models/doppel-embed-small');
    const embedders: EmbeddingBackend[] = [
      new HashingEmbedder(384),
      await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: (await hashModelFolder(embedDir)).contentHash, modelDir: embedDir, dimensions: 100, intraOpThreads: 1 }),
    ];
    const results = [];
    for (const embedder of embedders) {
      const factVectors = await embedder.embed(pairs.map((pair) => pair.fact));
      const ids = await memory.insertMany(
        scratch.db,
        pairs.map((pair, index) => ({
          personaId: persona.id,
          consumerId: account.id,
          conversationId: null,
          sourceMessageId: null,
          kind: 'fact' as const,
          content: pair.fact,
          embeddingModel: embedder.modelId,
          embedding: factVectors[index]!,
        })),
      );
      let hitsAt1 = 0;
      let hitsAt5 = 0;
      const questionVectors = await embedder.embed(pairs.map((pair) => pair.question));
      for (const [index, vector] of questionVectors.entries()) {
        const hits = await memory.search({ personaId: persona.id, consumerId: account.id, embeddingModel: embedder.modelId, embedding: vector, limit: 5 });
        if (hits[0]?.id === ids[index]) hitsAt1++;
        if (hits.some((hit) => hit.id === ids[index])) hitsAt5++;
      }
      results.push({ model: embedder.modelId, dimensions: embedder.dimensions, pairs: pairs.length, recallAt1: hitsAt1 / pairs.length, recallAt5: hitsAt5 / pairs.length });
      await embedder.close?.();
    }
    const path = await writeResult('retrieval', { machine: machine(), results });
    for (const result of results) {
      console.log(`${result.model.padEnd(20)} recall@1 ${result.recallAt1.toFixed(3)}  recall@5 ${result.recallAt5.toFixed(3)}  (${result.pairs} pairs)`);
    }
    console.log(`results written to ${path}`);
  } finally {
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
