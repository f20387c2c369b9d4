// A BullMQ Worker on this deployment's Redis and key prefix that hands each job to the handler for its name; a job
// no handler knows fails for good (retrying cannot help). Errors of the Worker itself are logged with the queue.
import type { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { AppConfig } from '@doppel/config';
import type { JobName } from '@doppel/queue';
import { bullConnectionOptions, bullPrefix } from '@doppel/redis';

export function startJobWorker(
  config: AppConfig,
  logger: Logger,
  queueName: string,
  handlers: Partial<Record<JobName, (job: never) => Promise<void>>>,
  options: Omit<WorkerOptions, 'connection' | 'prefix'>,
): Worker {
  const worker = new Worker(
    queueName,
    async (job: Job) => {
      const handler = handlers[job.name as JobName];
      if (!handler) throw new UnrecoverableError(`queue ${queueName} has no handler for job ${job.name}`);
      await handler(job as never);
    },
    { connection: bullConnectionOptions(config.redis.url), prefix: bullPrefix(config.redis.prefix), ...options },
  );
  worker.on('error', (error) => logger.error(`queue ${queueName}: ${error.message}`));
  return worker;
}
