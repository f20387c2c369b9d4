// The models one inference node serves: looked up in the registry, files verified against their registered
// hashes, then loaded. A model that fails any of that is refused (and not advertised); the node serves the rest.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { loadChatBackend, loadEmbeddingBackend, type BackendRuntime, type ChatModelBackend, type EmbeddingBackend } from '@doppel/inference';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { HubPuller, type PulledModel } from './hub-pull';
import { verifyModelFiles } from './model-files';
import { ModelRegistry } from './model-registry.service';

export interface RefusedModel {
  modelId: string;
  reason: string;
}

@Injectable()
export class ModelHost implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelHost.name);
  private readonly chatModels = new Map<string, ChatModelBackend>();
  private embeddingModel: EmbeddingBackend | null = null;
  readonly refused: RefusedModel[] = [];

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Loads what config asks for. Throws when the node could serve nothing (no chat model, or no embedder). */
  async load(): Promise<void> {
    const runtime: BackendRuntime = {
      synthetic: this.config.models.synthetic,
      onnxChatThreads: this.config.models.onnxChatThreads,
      onnxIntraOpThreads: this.config.models.onnxIntraOpThreads,
      env: process.env,
    };
    const chatModels = [...this.config.models.chatModels];
    for (const pulled of await this.pullFromHub()) {
      if (pulled.kind === 'chat' && !chatModels.includes(pulled.modelId)) chatModels.push(pulled.modelId);
    }
    for (const modelId of chatModels) {
      try {
        const spec = await this.verifiedSpec(modelId, 'chat');
        const started = Date.now();
        this.chatModels.set(modelId, await loadChatBackend(spec, runtime));
        this.logger.log(`loaded chat model ${modelId} (${spec.backend}) in ${Date.now() - started} ms`);
      } catch (error) {
        this.refuse(modelId, error);
      }
    }
    if (this.chatModels.size === 0) {
      throw new Error(`no chat model could be loaded: ${this.refused.map((model) => `${model.modelId}: ${model.reason}`).join('; ')}`);
    }
    const embeddingId = this.config.models.embeddingModel;
    try {
      const spec = await this.verifiedSpec(embeddingId, 'embedding');
      this.embeddingModel = await loadEmbeddingBackend(spec, runtime);
    } catch (error) {
      this.refuse(embeddingId, error);
      throw new Error(`the embedding model ${embeddingId} could not be loaded: ${(error as Error).message}`);
    }
  }

  chat(modelId: string): ChatModelBackend {
    const backend = this.chatModels.get(modelId);
    if (!backend) throw new DoppelError(ErrorCode.ModelUnavailable, `This node does not serve model ${modelId}.`);
    return backend;
  }

  get servedChatModels(): ChatModelBackend[] {
    return [...this.chatModels.values()];
  }

  get embedder(): EmbeddingBackend {
    if (!this.embeddingModel) throw new Error('ModelHost.load() has not run');
    return this.embeddingModel;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.chatModels.values()].map((backend) => backend.close?.()));
    await this.embeddingModel?.close?.();
  }

  private async verifiedSpec(modelId: string, kind: 'chat' | 'embedding') {
    const record = await this.registry.get(modelId);
    if (record.kind !== kind) throw new Error(`registered as a ${record.kind} model, configured as ${kind}`);
    const spec = this.registry.toSpec(record);
    if (record.backend === 'onnx') await verifyModelFiles(modelId, spec.location, record.files);
    return spec;
  }

  /** HUB_MODELS: fetched (or found in the cache), every file verified, registered under the hub's name. */
  private async pullFromHub(): Promise<PulledModel[]> {
    const { url, pullModels, cacheDir } = this.config.hub;
    if (!url || pullModels.length === 0) return [];
    const puller = new HubPuller(url, cacheDir, (line) => this.logger.log(line));
    const pulled: PulledModel[] = [];
    for (const ref of pullModels) {
      try {
        const model = await puller.pull(ref);
        await this.registry.registerPulled(model.modelId, model.kind, model.folder, model.modelHash);
        pulled.push(model);
      } catch (error) {
        this.refuse(ref, error);
      }
    }
    return pulled;
  }

  private refuse(modelId: string, error: unknown): void {
    const reason = (error as Error).message;
    this.refused.push({ modelId, reason });
    this.logger.error(`refused model ${modelId}: ${reason}`);
  }
}
