// Worker side of the token relay: one publisher per turn attempt, writing ordered entries with XADD.
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { REDIS } from '@doppel/redis';
import { ChunkCoalescer } from './chunk-coalescer';
import { EVENT_FIELD, turnStreamKey, type TurnStreamEvent } from './turn-stream-events';

/** Hands out a publisher per turn attempt on the shared connection, with the key prefix and the stream TTL. */
@Injectable()
export class TurnStreamPublishers {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** chunkIntervalMs 0: every token is written as it comes (terminal events only need no coalescing). */
  forTurn(turnId: string, chunkIntervalMs = 0): TurnStreamPublisher {
    return new TurnStreamPublisher(this.redis, this.config.redis.prefix, turnId, this.config.turns.streamTtlSeconds, chunkIntervalMs);
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

  /** Flushes buffered text, writes the terminal event and waits until Redis has every entry. */
  async finish(event: Extract<TurnStreamEvent, { type: 'done' | 'error' }>): Promise<void> {
    if (event.type === 'done') this.coalescer.flush();
    else this.coalescer.discard();
    this.append(event);
    await this.pending;
    if (this.writeError) throw this.writeError;
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
}
