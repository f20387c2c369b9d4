// BullMQ consumers for this node: one Worker per chat model it serves, on that model's turn queue. Created at
// start-up from the models that actually loaded (not with @Processor, whose queue name is fixed at compile time).
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { ModelHost } from '@doppel/models';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { assertHandlesEveryJob, JobName, QueueName, turnQueueName, type JobHandlers, type JobOf } from '@doppel/queue';
import { bullConnectionOptions } from '@doppel/redis';
import { ModelFailure, TurnRunner } from '@doppel/turns';
import { NodeStats } from './node-stats';

@Injectable()
export class TurnConsumers implements OnApplicationShutdown {
  private readonly logger = new Logger(TurnConsumers.name);
  private readonly workers: Worker[] = [];
  private readonly handlers: JobHandlers<QueueName.Turns> = {
    [JobName.Turn]: (job) => this.runTurn(job),
  };

  constructor(
    private readonly runner: TurnRunner,
    private readonly models: ModelHost,
    private readonly stats: NodeStats,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    assertHandlesEveryJob(QueueName.Turns, this.handlers);
  }

  start(): void {
    for (const model of this.models.servedChatModels) {
      const worker = new Worker(turnQueueName(model.modelId), (job) => this.process(job), {
        connection: bullConnectionOptions(this.config.redis.url),
        prefix: `${this.config.redis.prefix}:bull`,
        concurrency: this.config.worker.concurrency,
      });
      worker.on('error', (error) => this.logger.error(`queue ${worker.name}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  /** Stops taking jobs and waits for the ones in hand. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  private async process(job: Job): Promise<void> {
    const handler = this.handlers[job.name as JobName];
    if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
    await handler(job as JobOf<JobName.Turn>);
  }

  private async runTurn(job: JobOf<JobName.Turn>): Promise<void> {
    const { turnId } = job.data;
    const abort = new AbortController();
    this.stats.activeTurns++;
    try {
      await this.runner.run(turnId, abort.signal);
      this.stats.turnsServed++;
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (error instanceof ModelFailure) {
        this.logger.warn(`turn ${turnId}: ${error.message}`);
        await this.runner.fail(turnId, ErrorCode.ModelFailed, 'The model failed while writing this reply. Send the message again.');
        throw new UnrecoverableError(error.message);
      }
      if (error instanceof DoppelError && error.code === ErrorCode.TurnFailed) throw new UnrecoverableError(error.message);
      this.logger.error(`turn ${turnId} attempt ${job.attemptsMade + 1} failed: ${(error as Error).message}`);
      if (lastAttempt) {
        await this.runner.fail(turnId, ErrorCode.TurnFailed, 'This turn could not be completed. Send the message again.');
      }
      throw error;
    } finally {
      this.stats.activeTurns--;
      abort.abort();
    }
  }
}
