// On a Redis Cluster, a turn's terminal entry (done or error) that no replica acknowledged is watched for a while: if
// its primary dies before replicating it, the promoted replica's stream ends without it and every follower would wait
// for an event that never comes. The worker reads the stream's last entry again each second and writes the terminal
// entry again when it is missing, until a replica acknowledges it or the watch ends. Only turns whose WAIT found no
// replica pay for this (a shard without one, just after a failover, or a replica lagging past the wait).
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { EVENT_FIELD, isTerminal, type TurnStreamEvent } from './turn-stream-events';

export interface TerminalEntryWatch {
  redis: Redis;
  key: string;
  /** The terminal entry as written. */
  payload: string;
  ttlSeconds: number;
  replicaWaitMs: number;
  /** Checks, one per intervalMs (a failover takes cluster-node-timeout plus a moment). */
  checks: number;
  intervalMs: number;
}

const logger = new Logger('TerminalEntryKeeper');

/** Resolves when a replica holds the entry, or after the last check; never throws. */
export async function keepTerminalEntry(watch: TerminalEntryWatch): Promise<'replicated' | 'unconfirmed'> {
  const { redis, key, payload, ttlSeconds, replicaWaitMs } = watch;
  for (let check = 0; check < watch.checks; check++) {
    await new Promise((resolveDelay) => setTimeout(resolveDelay, watch.intervalMs).unref());
    try {
      const [last] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      const raw = last?.[1][last[1].indexOf(EVENT_FIELD) + 1];
      const ended = raw !== undefined && isTerminal(JSON.parse(raw) as TurnStreamEvent);
      // One pipeline, so WAIT goes to the node holding the stream (it has no key of its own).
      const pipeline = redis.pipeline();
      if (!ended) pipeline.xadd(key, '*', EVENT_FIELD, payload).expire(key, ttlSeconds);
      else pipeline.exists(key);
      const results = await pipeline.wait(1, replicaWaitMs).exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      if (!ended) logger.warn(`${key}: the terminal entry was lost (a primary died before replicating it); written again`);
      if (Number(results?.at(-1)?.[1] ?? 0) >= 1) return 'replicated';
    } catch {
      // The slot has no primary yet (a failover in progress): the next check tries again.
    }
  }
  return 'unconfirmed';
}
