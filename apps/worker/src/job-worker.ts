// A BullMQ Worker on this deployment's Redis and key prefix that hands each job to the handler for its name; a job
// no handler knows fails for good (retrying cannot help). Errors of the Worker itself are logged with the queue.
import type { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { AppConfig } from '@doppel/config';
import type { JobName } from '@doppel/queue';
import { bullConnection, bullPrefix } from '@doppel/redis';

export function startJobWorker(
  config: AppConfig,
  logger: Logger,
  queueName: string,
  handlers: Partial<Record<JobName, (job: never) => Promise<void>>>,
  options: Omit<WorkerOptions, 'connection' | 'prefix'>,
): Worker {
  const connection = bullConnection(config.redis);
  const worker = new Worker(
    queueName,
    async (job: Job) => {
      const handler = handlers[job.name as JobName];
      if (!handler) throw new UnrecoverableError(`queue ${queueName} has no handler for job ${job.name}`);
      await handler(job as never);
    },
    { connection: connection.connection, prefix: bullPrefix(config.redis.prefix, queueName), ...options },
  );
  worker.on('closed', () => void connection.close());
  worker.on('error', (error) => logger.error(`queue ${queueName}: ${error.message}`));
  return worker;
}
