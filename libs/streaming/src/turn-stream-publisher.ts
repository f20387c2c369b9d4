// Worker side of the token relay: one publisher per turn attempt, writing ordered entries with XADD.
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { isCluster, REDIS, retryClusterRefusals } from '@doppel/redis';
import { ChunkCoalescer } from './chunk-coalescer';
import { keepTerminalEntry } from './terminal-entry-keeper';
import { EVENT_FIELD, turnStreamKey, type TurnStreamEvent } from './turn-stream-events';

/**
 * On a Redis Cluster, how long a turn's terminal entry waits for a replica's acknowledgement (WAIT 1). Replication is
 * asynchronous: without it, a primary that dies right after acknowledging `done` can leave the promoted replica
 * without it, and followers wait for an event that never comes. A replica acknowledging `done` holds every entry
 * before it too. When none acknowledges it in time, the entry is watched (keepTerminalEntry) and written again if a
 * failover lost it. Lost chunks in the middle of a stream are repaired by the follower (TurnStreamGapRepair).
 */
export const TERMINAL_REPLICA_WAIT_MS = 250;
/** How long an unreplicated terminal entry is watched: 30 checks, one a second. */
const TERMINAL_WATCH = { checks: 30, intervalMs: 1000 };

/** Hands out a publisher per turn attempt on the shared connection, with the key prefix and the stream TTL. */
@Injectable()
export class TurnStreamPublishers {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** chunkIntervalMs 0: every token is written as it comes (terminal events only need no coalescing). */
  forTurn(turnId: string, chunkIntervalMs = 0): TurnStreamPublisher {
    const replicaWaitMs = isCluster(this.redis) ? TERMINAL_REPLICA_WAIT_MS : 0;
    return new TurnStreamPublisher(this.redis, this.config.redis.prefix, turnId, this.config.turns.streamTtlSeconds, chunkIntervalMs, replicaWaitMs);
  }
}

export class TurnStreamPublisher {
  private readonly key: string;
  private readonly coalescer: ChunkCoalescer;
  private nextSeq = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private writeError: unknown = null;
  private ttlSet = false;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    turnId: string,
    private readonly ttlSeconds: number,
    chunkIntervalMs: number,
    /** > 0 (a cluster): the terminal entry is written after the others and waits this long for a replica (WAIT 1). */
    private readonly terminalReplicaWaitMs = 0,
  ) {
    this.key = turnStreamKey(prefix, turnId);
    this.coalescer = new ChunkCoalescer(chunkIntervalMs, (text) => this.append({ type: 'token', seq: this.nextSeq++, text }));
  }

  started(workerId: string, attempt: number): void {
    this.append({ type: 'started', workerId, attempt });
  }

  token(text: string): void {
    this.coalescer.push(text);
  }

  /**
   * Flushes buffered text, writes the terminal event and waits until Redis has every entry. Returns how many replicas
   * acknowledged it (null: not asked, one Redis).
   */
  async finish(event: Extract<TurnStreamEvent, { type: 'done' | 'error' }>): Promise<number | null> {
    if (event.type === 'done') this.coalescer.flush();
    else this.coalescer.discard();
    let replicas: number | null = null;
    if (this.terminalReplicaWaitMs > 0) {
      await this.pending;
      replicas = await this.appendReplicated(event);
    } else {
      this.append(event);
    }
    await this.pending;
    if (this.writeError) throw this.writeError;
    return replicas;
  }

  /** Waits for the entries written so far; throws if any write failed. */
  async drain(): Promise<void> {
    await this.pending;
    if (this.writeError) throw this.writeError;
  }

  private append(event: TurnStreamEvent): void {
    // One connection keeps command order, so entries land in the order they were appended (plain commands only: a
    // MULTI would not keep its place among auto-pipelined ones). The TTL is set with the first entry and renewed with
    // the terminal one, not on every chunk.
    const payload = JSON.stringify(event);
    const setsTtl = !this.ttlSet || event.type === 'done' || event.type === 'error';
    this.ttlSet = true;
    const writes: Promise<unknown>[] = [this.redis.xadd(this.key, '*', EVENT_FIELD, payload)];
    if (setsTtl) writes.push(this.redis.expire(this.key, this.ttlSeconds));
    const write = Promise.all(writes).catch((error: unknown) => {
      this.writeError ??= error;
    });
    this.pending = Promise.all([this.pending, write]);
  }

  /**
   * XADD + EXPIRE + WAIT in one pipeline, after every earlier entry was acknowledged: the pipeline goes to the node
   * that holds the stream's slot, so WAIT (which has no key) asks that node's replica. 0 replicas is not an error
   * (none is connected, e.g. just after a failover, or it lags): the entry is then watched in the background and
   * written again if a failover loses it.
   */
  private async appendReplicated(event: TurnStreamEvent): Promise<number> {
    const payload = JSON.stringify(event);
    try {
      // A failover that moved the stream's slot refuses the whole pipeline (nothing written): sent again once settled.
      const results = await retryClusterRefusals(async () => {
        const sent = await this.redis.pipeline().xadd(this.key, '*', EVENT_FIELD, payload).expire(this.key, this.ttlSeconds).wait(1, this.terminalReplicaWaitMs).exec();
        const failed = sent?.find(([error]) => error)?.[0];
        if (failed) throw failed;
        return sent;
      });
      const replicas = Number(results?.[2]?.[1] ?? 0);
      if (replicas === 0) {
        const watch = { redis: this.redis, key: this.key, payload, ttlSeconds: this.ttlSeconds, replicaWaitMs: this.terminalReplicaWaitMs, ...TERMINAL_WATCH };
        void keepTerminalEntry(watch);
      }
      return replicas;
    } catch (error) {
      this.writeError ??= error;
      return 0;
    }
  }
}
