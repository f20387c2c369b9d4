// Fails turns that nobody finished in time (every node died, the queue was lost with a Redis restart…) and tells
// their consumers, so no turn is left pending forever. Safe to run in every process: the UPDATE decides who wins.
import { ErrorCode } from '@doppel/protocol';
import type { TurnStreamPublishers } from '@doppel/streaming';
import type { TurnRepository } from './turn.repository';

export async function failOverdueTurns(turns: TurnRepository, publishers: TurnStreamPublishers, deadlineMs: number): Promise<string[]> {
  const overdue = await turns.failOverdue(deadlineMs, ErrorCode.TurnDeadlineExceeded, 'No node finished this turn in time.');
  for (const id of overdue) {
    await publishers.forTurn(id).finish({
      type: 'error',
      code: ErrorCode.TurnDeadlineExceeded,
      message: `No node finished this turn within ${Math.round(deadlineMs / 1000)} s; send the message again.`,
    });
  }
  return overdue;
}
