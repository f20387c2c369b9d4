import type { TurnTimings } from '@doppel/protocol';

export interface TurnTimestamps {
  queued_at: Date;
  started_at: Date | null;
  retrieved_at: Date | null;
  first_token_at: Date | null;
  finished_at: Date | null;
}

const between = (from: Date | null, to: Date | null): number | null => (from && to ? to.getTime() - from.getTime() : null);

/**
 * queueWait: accepted → a node started it. retrieval: started → prompt ready (persona, embedding, vector search,
 * history). timeToFirstToken: accepted → first token. generation: prompt ready → reply stored. total: accepted → stored.
 */
export function turnTimings(turn: TurnTimestamps): TurnTimings {
  return {
    queueWaitMs: between(turn.queued_at, turn.started_at),
    retrievalMs: between(turn.started_at, turn.retrieved_at),
    timeToFirstTokenMs: between(turn.queued_at, turn.first_token_at),
    generationMs: between(turn.retrieved_at, turn.finished_at),
    totalMs: between(turn.queued_at, turn.finished_at),
  };
}
