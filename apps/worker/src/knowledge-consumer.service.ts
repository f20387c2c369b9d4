// Consumes this node's embedding model's knowledge queue: chunk, embed and swap in one document revision per job.
// Started after the models load, like the turn consumers, because the queue name depends on the loaded embedder.
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { KnowledgeIndexer } from '@doppel/knowledge';
import { ModelHost } from '@doppel/models';
import { assertHandlesEveryJob, JobName, knowledgeQueueName, QueueName, type JobHandlers, type JobOf } from '@doppel/queue';
import { startJobWorker } from './job-worker';

/** One document at a time per node: indexing competes with turns for the embedder, and turns come first. */
const KNOWLEDGE_CONCURRENCY = 1;

@Injectable()
export class KnowledgeConsumer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(KnowledgeConsumer.name);
  private worker: Worker | null = null;
  private readonly handlers: JobHandlers<QueueName.Knowledge> = {
    [JobName.IndexKnowledge]: (job) => this.index(job),
  };

  constructor(
    private readonly indexer: KnowledgeIndexer,
    private readonly models: ModelHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    assertHandlesEveryJob(QueueName.Knowledge, this.handlers);
  }

  start(): void {
    this.worker = startJobWorker(this.config, this.logger, knowledgeQueueName(this.models.embedder.modelId), this.handlers, { concurrency: KNOWLEDGE_CONCURRENCY });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async index(job: JobOf<JobName.IndexKnowledge>): Promise<void> {
    const { documentId, revision } = job.data;
    try {
      const outcome = await this.indexer.index(documentId, revision, this.models.embedder);
      this.logger.log(`knowledge document ${documentId} r${revision}: ${outcome}`);
    } catch (error) {
      const message = (error as Error).message;
      this.logger.error(`knowledge document ${documentId} r${revision} attempt ${job.attemptsMade + 1}: ${message}`);
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.indexer.fail(documentId, revision, message);
      throw error;
    }
  }
}
