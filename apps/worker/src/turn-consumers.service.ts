// BullMQ consumers for this node: one Worker per chat model it serves, on that model's turn queue, plus one on
// this node's own queue (re-executions addressed to it). Created at start-up from the models that actually
// loaded (not with @Processor, whose queue name is fixed at compile time).
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { UnrecoverableError, type Worker } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { ModelHost } from '@doppel/models';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { assertHandlesEveryJob, JobName, nodeQueueName, QueueName, turnQueueName, type JobHandlers, type JobOf } from '@doppel/queue';
import { ModelFailure, ReexecRunner, TurnRunner } from '@doppel/turns';
import { startJobWorker } from './job-worker';
import { NodeStats } from './node-stats';

/** Why a finished job's signal fires: one shared reason, since abort() without one builds a DOMException each time. */
const JOB_ENDED = new Error('the job ended');

@Injectable()
export class TurnConsumers implements BeforeApplicationShutdown {
  private readonly logger = new Logger(TurnConsumers.name);
  private readonly workers: Worker[] = [];
  private readonly turnHandlers: JobHandlers<QueueName.Turns> = {
    [JobName.Turn]: (job) => this.runTurn(job),
  };
  private readonly nodeHandlers: JobHandlers<QueueName.Nodes> = {
    [JobName.Reexec]: (job) => this.reexec.run(job.data, new AbortController().signal),
  };

  constructor(
    private readonly runner: TurnRunner,
    private readonly reexec: ReexecRunner,
    private readonly models: ModelHost,
    private readonly stats: NodeStats,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    assertHandlesEveryJob(QueueName.Turns, this.turnHandlers);
    assertHandlesEveryJob(QueueName.Nodes, this.nodeHandlers);
  }

  start(): void {
    if (this.config.worker.servesTurns) {
      for (const model of this.models.servedChatModels) this.consume(turnQueueName(model.modelId), this.turnHandlers);
    }
    this.consume(nodeQueueName(this.config.worker.id), this.nodeHandlers);
  }

  private consume(queueName: string, handlers: Partial<Record<JobName, (job: never) => Promise<void>>>): void {
    const worker = startJobWorker(this.config, this.logger, queueName, handlers, {
      concurrency: this.config.worker.concurrency,
      // A killed node stops renewing its locks; after lockDuration its turns count as stalled and go to another node.
      lockDuration: this.config.turns.lockMs,
      stalledInterval: Math.max(250, Math.floor(this.config.turns.lockMs / 2)),
      maxStalledCount: 2,
    });
    this.workers.push(worker);
  }

  /** Stops taking jobs and waits for the ones in hand, before any connection they need is closed. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  private async runTurn(job: JobOf<JobName.Turn>): Promise<void> {
    const { turnId, text } = job.data;
    const abort = new AbortController();
    this.stats.activeTurns++;
    try {
      await this.runner.run(turnId, abort.signal, text);
      this.stats.turnsServed++;
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (error instanceof ModelFailure) {
        this.logger.warn(`turn ${turnId}: ${error.message}`);
        await this.runner.fail(turnId, ErrorCode.ModelFailed, 'The model failed while writing this reply. Send the message again.');
        throw new UnrecoverableError(error.message);
      }
      // A typed failure (no checking node, turn taken over…) is final: retrying would fail the same way. A saturated
      // database (OVERLOADED) is not: the job is retried like any passing failure.
      if (error instanceof DoppelError && error.code !== ErrorCode.Overloaded) {
        if (error.code !== ErrorCode.TurnFailed) await this.runner.fail(turnId, error.code, error.message);
        throw new UnrecoverableError(error.message);
      }
      this.logger.error(`turn ${turnId} attempt ${job.attemptsMade + 1} failed: ${(error as Error).message}`);
      if (lastAttempt) {
        await this.runner.fail(turnId, ErrorCode.TurnFailed, 'This turn could not be completed. Send the message again.');
      }
      throw error;
    } finally {
      this.stats.activeTurns--;
      abort.abort(JOB_ENDED);
    }
  }
}
