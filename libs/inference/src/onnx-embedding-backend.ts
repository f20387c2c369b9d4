// Sentence embeddings from an encoder in the Hugging Face ONNX layout (mean pooling, L2-normalised), in a thread.
import type { EmbeddingBackend } from './model-backend';
import { ModelThreadPool } from './model-threads';

export interface OnnxEmbeddingOptions {
  modelId: string;
  modelHash: string;
  modelDir: string;
  dimensions: number;
  intraOpThreads: number;
}

export class OnnxEmbeddingBackend implements EmbeddingBackend {
  private constructor(
    readonly modelId: string,
    readonly modelHash: string,
    readonly dimensions: number,
    private readonly pool: ModelThreadPool,
  ) {}

  static async load(options: OnnxEmbeddingOptions): Promise<OnnxEmbeddingBackend> {
    const pool = await ModelThreadPool.start('onnx-embed.thread.cjs', 1, { modelDir: options.modelDir, intraOpThreads: options.intraOpThreads });
    const backend = new OnnxEmbeddingBackend(options.modelId, options.modelHash, options.dimensions, pool);
    const [probe] = await backend.embed(['dimension check']);
    if (probe!.length !== options.dimensions) {
      await pool.close();
      throw new Error(`model ${options.modelId} produces ${probe!.length}-dimensional vectors, registered as ${options.dimensions}`);
    }
    return backend;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolveEmbed, rejectEmbed) => {
      const handle = this.pool.request({ type: 'embed', texts }, (message) => {
        handle.release();
        if (message.type !== 'done') return rejectEmbed(new Error(`model ${this.modelId}: ${message.message}`));
        const data = message.data as Float32Array;
        const dimensions = message.dimensions as number;
        resolveEmbed(Array.from({ length: message.count as number }, (_, row) => data.subarray(row * dimensions, (row + 1) * dimensions)));
      });
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
