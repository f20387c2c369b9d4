// Fails turns that nobody finished in time (every node died, the queue was lost with a Redis restart…) and tells
// their consumers, so no turn is left pending forever. Safe to run in every process: the UPDATE decides who wins.
import { sql, type Kysely } from 'kysely';
import type Redis from 'ioredis';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { TurnStreamPublisher } from '@doppel/streaming';

export async function failOverdueTurns(db: Kysely<Database>, redis: Redis, options: { prefix: string; deadlineMs: number; streamTtlSeconds: number }): Promise<string[]> {
  const overdue = await db
    .updateTable('turns')
    .set({
      status: 'failed',
      error_code: ErrorCode.TurnDeadlineExceeded,
      error_message: 'No node finished this turn in time.',
      finished_at: sql<Date>`clock_timestamp()`,
    })
    .where('status', 'in', ['queued', 'running'])
    .where('queued_at', '<', sql<Date>`now() - make_interval(secs => ${options.deadlineMs / 1000})`)
    .returning('id')
    .execute();
  for (const { id } of overdue) {
    await new TurnStreamPublisher(redis, options.prefix, id, options.streamTtlSeconds, 0).finish({
      type: 'error',
      code: ErrorCode.TurnDeadlineExceeded,
      message: `No node finished this turn within ${Math.round(options.deadlineMs / 1000)} s; send the message again.`,
    });
  }
  return overdue.map((turn) => turn.id);
}
