// Producer side of the per-model turn queues: one BullMQ Queue per chat model, created on first use.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { JobName, turnQueueName, type JobPayloads } from '@doppel/queue';
import { bullConnectionOptions } from '@doppel/redis';

export type TurnQueue = Queue<JobPayloads[JobName.Turn], void, JobName.Turn>;

@Injectable()
export class TurnQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, TurnQueue>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  forModel(modelId: string): TurnQueue {
    let queue = this.queues.get(modelId);
    if (!queue) {
      queue = new Queue(turnQueueName(modelId), {
        connection: bullConnectionOptions(this.config.redis.url),
        prefix: `${this.config.redis.prefix}:bull`,
      }) as TurnQueue;
      this.queues.set(modelId, queue);
    }
    return queue;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
