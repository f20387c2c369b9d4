// Fixed-window counters in Redis, per API key: shared by every gateway, so a limit holds across the cluster.
import type Redis from 'ioredis';
import { accountSocketsKey, rateWindowKey, retryClusterRefusals } from '@doppel/redis';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (when refused). */
  retryAfterSeconds: number;
}

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(bucket: string, accountId: string, limitPerMinute: number): Promise<RateDecision> {
    const windowStart = Math.floor(Date.now() / 60_000);
    const key = rateWindowKey(this.prefix, accountId, bucket, windowStart);
    // Two plain commands (one auto-pipelined write on one Redis), not a MULTI (a write of its own): the window gets its expiry
    // first, so a connection lost between the two never leaves a counter that lives for ever.
    const [, count] = await Promise.all([this.redis.set(key, 0, 'EX', 61, 'NX'), this.redis.incr(key)]);
    const retryAfterSeconds = Math.max(1, Math.ceil(((windowStart + 1) * 60_000 - Date.now()) / 1000));
    return { allowed: count <= limitPerMinute, retryAfterSeconds };
  }
}

/** Open sockets per key across gateways: a sorted set of socket ids scored by last refresh. */
export class SocketCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly staleAfterMs: number,
  ) {}

  private key(accountId: string): string {
    return accountSocketsKey(this.prefix, accountId);
  }

  /** Adds the socket unless the key already has `max` live ones; returns whether it was admitted. */
  async admit(accountId: string, socketId: string, max: number): Promise<boolean> {
    const key = this.key(accountId);
    const now = Date.now();
    // A MULTI that a failover's moved slot refused did not run: sent again (see retryClusterRefusals).
    const [, [, live]] = (await retryClusterRefusals(() => this.redis.multi().zremrangebyscore(key, '-inf', now - this.staleAfterMs).zcard(key).exec())) as [[null, number], [null, number]];
    if (live >= max) return false;
    await retryClusterRefusals(() => this.redis.multi().zadd(key, now, socketId).pexpire(key, this.staleAfterMs).exec());
    return true;
  }

  /** Two plain commands, not a transaction: each is safe alone, and refreshes sent together share one write. */
  async refresh(accountId: string, socketId: string): Promise<void> {
    const key = this.key(accountId);
    await Promise.all([this.redis.zadd(key, 'XX', Date.now(), socketId), this.redis.pexpire(key, this.staleAfterMs)]);
  }

  async release(accountId: string, socketId: string): Promise<void> {
    await this.redis.zrem(this.key(accountId), socketId);
  }
}
