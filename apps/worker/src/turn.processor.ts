import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { assertHandlesEveryJob, JobName, QueueName, type JobHandlers, type JobOf } from '@doppel/queue';
import { ModelFailure, TurnRunner } from '@doppel/turns';
import { NodeStats } from './node-stats';

@Processor(QueueName.Turns)
export class TurnProcessor extends WorkerHost implements OnModuleInit {
  private readonly logger = new Logger(TurnProcessor.name);
  private readonly handlers: JobHandlers<QueueName.Turns> = {
    [JobName.Turn]: (job) => this.runTurn(job),
  };

  constructor(
    private readonly runner: TurnRunner,
    private readonly stats: NodeStats,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    assertHandlesEveryJob(QueueName.Turns, this.handlers);
  }

  onModuleInit(): void {
    this.worker.concurrency = this.config.worker.concurrency;
  }

  async process(job: Job): Promise<void> {
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

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logger.error(`queue worker error: ${error.message}`);
  }
}
