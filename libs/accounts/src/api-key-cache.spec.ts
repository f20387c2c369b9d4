import { describe, expect, it } from 'vitest';
import type { StoredKey } from './accounts.service';
import { issueApiKey } from './api-key';
import { ApiKeyCache } from './api-key-cache';

/** Keys as the database would hold them, with a count of lookups (each one a query in production). */
function keyStore() {
  const keys = new Map<string, StoredKey>();
  const store = {
    lookups: 0,
    release: null as (() => void) | null,
    add(accountId: string) {
      const key = issueApiKey();
      keys.set(key.prefix, { account: { id: accountId, displayName: accountId, apiKeyPrefix: key.prefix, roles: ['consumer'], createdAt: new Date(0) }, hash: key.hash, revoked: false });
      return key;
    },
    revoke(prefix: string) {
      keys.set(prefix, { ...keys.get(prefix)!, revoked: true });
    },
    async lookup(prefix: string): Promise<StoredKey | null> {
      store.lookups += 1;
      if (store.release) await new Promise<void>((resolve) => (store.release = resolve));
      return keys.get(prefix) ?? null;
    },
  };
  return store;
}

describe('ApiKeyCache', () => {
  it('answers a warm key without a lookup until the TTL passes, and never for a wrong secret', async () => {
    const store = keyStore();
    let now = 0;
    const cache = new ApiKeyCache((prefix) => store.lookup(prefix), 5000, 100, () => now);
    const key = store.add('alice');
    expect(await cache.authenticate(key.apiKey)).toMatchObject({ account: { id: 'alice' }, keyPrefix: key.prefix });
    for (let i = 0; i < 10; i++) expect((await cache.authenticate(key.apiKey))?.account.id).toBe('alice');
    expect(store.lookups).toBe(1);
    expect(await cache.authenticate(`${key.apiKey.slice(0, -1)}${key.apiKey.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await cache.authenticate('not-a-key')).toBeNull();
    expect(store.lookups).toBe(1);
    now = 5001;
    await cache.authenticate(key.apiKey);
    expect(store.lookups).toBe(2);
  });

  it('refuses a revoked key at once after forget, and within the TTL without it', async () => {
    const store = keyStore();
    let now = 0;
    const cache = new ApiKeyCache((prefix) => store.lookup(prefix), 5000, 100, () => now);
    const told = store.add('bob');
    const missed = store.add('carol');
    await cache.authenticate(told.apiKey);
    await cache.authenticate(missed.apiKey);
    store.revoke(told.prefix);
    store.revoke(missed.prefix);
    cache.forget(told.prefix);
    expect(await cache.authenticate(told.apiKey)).toBeNull();
    // The message about carol's key was missed: still trusted until the entry expires, then refused.
    expect(await cache.authenticate(missed.apiKey)).not.toBeNull();
    now = 5001;
    expect(await cache.authenticate(missed.apiKey)).toBeNull();
  });

  it('shares one lookup among concurrent callers, and does not keep an answer that a revocation overtook', async () => {
    const store = keyStore();
    const cache = new ApiKeyCache((prefix) => store.lookup(prefix), 60_000);
    const key = store.add('dave');
    store.release = () => {};
    const concurrent = Array.from({ length: 20 }, () => cache.authenticate(key.apiKey));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.lookups).toBe(1);
    // The key is revoked while the first query is still out: its (working) answer must not be believed or kept.
    store.revoke(key.prefix);
    cache.forget(key.prefix);
    const releaseFirst = store.release!;
    store.release = null;
    releaseFirst();
    expect((await Promise.all(concurrent)).every((result) => result === null)).toBe(true);
    expect(await cache.authenticate(key.apiKey)).toBeNull();
  });

  it('keeps at most maxEntries keys', async () => {
    const store = keyStore();
    const cache = new ApiKeyCache((prefix) => store.lookup(prefix), 60_000, 3);
    const keys = Array.from({ length: 4 }, (_, index) => store.add(`user${index}`));
    for (const key of keys) await cache.authenticate(key.apiKey);
    await cache.authenticate(keys[3]!.apiKey);
    expect(store.lookups).toBe(4);
    await cache.authenticate(keys[0]!.apiKey);
    expect(store.lookups).toBe(5);
  });
});
