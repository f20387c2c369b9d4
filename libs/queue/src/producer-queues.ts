// BullMQ queues this process adds jobs to, opened on first use (queue names can be per model or per node) and
// closed at shutdown. Producing never starts a worker.
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { bullConnection, bullPrefix, type BullConnection } from '@doppel/redis';
import type { JobName, JobPayloads } from './queue-contracts';

export type ProducerQueue<Name extends JobName> = Queue<JobPayloads[Name], void, Name>;

@Injectable()
export class ProducerQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private readonly connections: BullConnection[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get<Name extends JobName>(queueName: string): ProducerQueue<Name> {
    let queue = this.queues.get(queueName);
    if (!queue) {
      const connection = bullConnection(this.config.redis);
      this.connections.push(connection);
      queue = new Queue(queueName, { connection: connection.connection, prefix: bullPrefix(this.config.redis.prefix, queueName) });
      this.queues.set(queueName, queue);
    }
    return queue as unknown as ProducerQueue<Name>;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await Promise.all(this.connections.map((connection) => connection.close()));
  }
}

@Module({ providers: [ProducerQueues], exports: [ProducerQueues] })
export class ProducerQueuesModule {}
