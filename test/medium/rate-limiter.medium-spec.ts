// The per-key rate windows on the real Redis: shared counts, the limit, and a window that always expires.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RateLimiter } from '@doppel/accounts';
import type { RedisConfig } from '@doppel/config';
import { createRedis, rateWindowKey } from '@doppel/redis';

describe('RateLimiter', () => {
  const config: RedisConfig = { url: inject('redisUrl'), prefix: `${inject('redisPrefix')}rate`, clusterNodes: null };
  const redis = createRedis(config, { name: 'rate-spec' });
  afterAll(() => redis.disconnect());

  it('allows `limit` hits a window, refuses the next with the seconds left in it, and counts each bucket apart', async () => {
    const accountId = randomUUID();
    const limiter = new RateLimiter(redis, config.prefix);
    const decisions = await Promise.all([1, 2, 3].map(() => limiter.hit('turns', accountId, 2)));
    expect(decisions.map((decision) => decision.allowed).sort()).toEqual([false, true, true]);
    const refused = decisions.find((decision) => !decision.allowed)!;
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await limiter.hit('connections', accountId, 2)).allowed).toBe(true);
  });

  it('gives every window an expiry of at most 61 s, however many hits it takes', async () => {
    const accountId = randomUUID();
    const limiter = new RateLimiter(redis, config.prefix);
    const windowStart = Math.floor(Date.now() / 60_000);
    for (let hit = 0; hit < 5; hit++) await limiter.hit('turns', accountId, 100);
    // The window may have turned over between the hits and this read: look at the key the last hit used.
    const keys = [windowStart, windowStart + 1].map((start) => rateWindowKey(config.prefix, accountId, 'turns', start));
    const ttls = await Promise.all(keys.map((key) => redis.ttl(key)));
    const counts = await Promise.all(keys.map((key) => redis.get(key)));
    expect(counts.reduce((sum, count) => sum + Number(count ?? 0), 0)).toBe(5);
    for (const [index, ttl] of ttls.entries()) {
      if (counts[index] === null) continue;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(61);
    }
  });
});
