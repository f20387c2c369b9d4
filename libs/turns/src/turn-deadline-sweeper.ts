// Fails turns that nobody finished in time (every node died, the queue was lost with a Redis restart…) and tells
// their consumers, so no turn is left pending forever. Safe to run in every process: the UPDATE decides who wins.
import type Redis from 'ioredis';
import { ErrorCode } from '@doppel/protocol';
import { TurnStreamPublisher } from '@doppel/streaming';
import type { TurnRepository } from './turn.repository';

export async function failOverdueTurns(turns: TurnRepository, redis: Redis, options: { prefix: string; deadlineMs: number; streamTtlSeconds: number }): Promise<string[]> {
  const overdue = await turns.failOverdue(options.deadlineMs, ErrorCode.TurnDeadlineExceeded, 'No node finished this turn in time.');
  for (const id of overdue) {
    await new TurnStreamPublisher(redis, options.prefix, id, options.streamTtlSeconds, 0).finish({
      type: 'error',
      code: ErrorCode.TurnDeadlineExceeded,
      message: `No node finished this turn within ${Math.round(options.deadlineMs / 1000)} s; send the message again.`,
    });
  }
  return overdue;
}
