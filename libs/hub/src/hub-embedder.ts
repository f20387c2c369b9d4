// The deployment's embedding model, for hub cards and search queries. Loaded on first use and checked like on any
// node (files re-hashed against the registry). Search without it falls back to lexical ranking instead of failing.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { loadEmbeddingBackend, type EmbeddingBackend } from '@doppel/inference';
import { ModelRegistry, verifyModelFiles } from '@doppel/models';

const RETRY_AFTER_MS = 60_000;

export interface Embedded {
  model: string;
  vectors: Float32Array[];
}

@Injectable()
export class HubEmbedder implements OnApplicationShutdown {
  private readonly logger = new Logger(HubEmbedder.name);
  private backend: Promise<EmbeddingBackend | null> | null = null;

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Vectors for `texts`, or null when the embedding model cannot be loaded here (logged once). */
  async embed(texts: string[]): Promise<Embedded | null> {
    const backend = await this.load();
    if (!backend) return null;
    return { model: backend.modelId, vectors: await backend.embed(texts) };
  }

  get modelId(): string {
    return this.config.models.embeddingModel;
  }

  private load(): Promise<EmbeddingBackend | null> {
    this.backend ??= (async () => {
      const modelId = this.config.models.embeddingModel;
      try {
        const record = await this.registry.get(modelId);
        const spec = this.registry.toSpec(record);
        if (record.backend === 'onnx') await verifyModelFiles(modelId, spec.location, record.files);
        return await loadEmbeddingBackend(spec, {
          synthetic: this.config.models.synthetic,
          onnxChatThreads: 1,
          onnxIntraOpThreads: this.config.models.onnxIntraOpThreads,
          env: process.env,
        });
      } catch (error) {
        this.logger.warn(`hub search runs without embeddings for a minute: ${modelId} could not be loaded (${(error as Error).message})`);
        setTimeout(() => (this.backend = null), RETRY_AFTER_MS).unref();
        return null;
      }
    })();
    return this.backend;
  }

  async onApplicationShutdown(): Promise<void> {
    const backend = await this.backend;
    await backend?.close?.();
  }
}
