// Replay protection for OHTTP (RFC 9458 §6.5): an inner request must carry a Date within the replay window of this
// gateway's clock, and each encapsulated key (fresh per request) is served once: its hash is kept in Redis for twice
// the window, so every gateway of the deployment refuses a copy, and anything older fails the Date check instead.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { ohttpSeenKey } from '@doppel/redis';
import type { HeaderList } from '@doppel/ohttp';

export class ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {}

  /** Null when the Date is within the window, else why not. */
  staleness(headers: HeaderList, now = Date.now()): string | null {
    const date = headers.find(([name]) => name === 'date')?.[1];
    if (!date) return 'the inner request has no Date header';
    const sentAt = Date.parse(date);
    if (Number.isNaN(sentAt)) return 'the inner request has an unreadable Date header';
    if (Math.abs(now - sentAt) > this.windowMs) return `the inner request's Date is more than ${this.windowMs / 1000} s from the gateway's clock`;
    return null;
  }

  /** True the first time an encapsulated key is seen within the window; false for a replay. */
  async firstUse(enc: Uint8Array): Promise<boolean> {
    const key = ohttpSeenKey(this.prefix, createHash('sha256').update(enc).digest('hex'));
    return (await this.redis.set(key, '1', 'PX', 2 * this.windowMs, 'NX')) === 'OK';
  }
}
