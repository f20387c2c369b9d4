import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { CHAT_MODEL, EMBEDDING_MODEL, type ChatModelBackend, type EmbeddingBackend } from '@doppel/inference';
import { NodeRegistry } from '@doppel/nodes';
import { REDIS } from '@doppel/redis';
import { NodeStats } from './node-stats';

/** Tells the cluster this node is alive, what it serves and how busy it is. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  private readonly registry: NodeRegistry;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAT_MODEL) private readonly chatModel: ChatModelBackend,
    @Inject(EMBEDDING_MODEL) private readonly embedder: EmbeddingBackend,
    private readonly stats: NodeStats,
  ) {
    this.registry = new NodeRegistry(redis, config.redis.prefix, config.worker.heartbeatTtlMs);
  }

  async onApplicationBootstrap(): Promise<void> {
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
        chatModel: { modelId: this.chatModel.modelId, modelHash: this.chatModel.modelHash },
        embeddingModel: { modelId: this.embedder.modelId, modelHash: this.embedder.modelHash },
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
