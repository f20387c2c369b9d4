import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { ModelHost } from '@doppel/models';
import { AttachedModels, NodeIdentity } from '@doppel/turns';
import { NodeRegistry } from '@doppel/nodes';
import { NodeStats } from './node-stats';

/** Tells the cluster this node is alive, what it serves and how busy it is. */
@Injectable()
export class HeartbeatService implements OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelHost,
    private readonly identity: NodeIdentity,
    private readonly stats: NodeStats,
    private readonly attached: AttachedModels,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.worker.heartbeatIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.registry.remove(this.config.worker.id).catch(() => {});
  }

  private async beat(): Promise<void> {
    try {
      await this.registry.beat({
        nodeId: this.config.worker.id,
        address: this.identity.address,
        servesTurns: this.config.worker.servesTurns,
        chatModels: this.models.servedChatModels.map((model) => ({ modelId: model.modelId, modelHash: model.modelHash })),
        embeddingModel: { modelId: this.models.embedder.modelId, modelHash: this.models.embedder.modelHash, dimensions: this.models.embedder.dimensions },
        refusedModels: this.models.refused,
        zkProver: this.attached.zkAvailable,
        concurrency: this.config.worker.concurrency,
        activeTurns: this.stats.activeTurns,
        turnsServed: this.stats.turnsServed,
        startedAt: this.stats.startedAt.toISOString(),
        beatAt: new Date().toISOString(),
      });
    } catch (error) {
      this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
    }
  }
}
