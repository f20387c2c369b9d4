import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyMatches, apiKeyPrefix, hashApiKey, issueApiKey } from './api-key';

describe('api keys', () => {
  it('issues a key of the form dpl_<prefix>_<secret> whose stored hash matches it', () => {
    const issued = issueApiKey();
    expect(issued.apiKey).toMatch(/^dpl_[a-z0-9]{10}_[A-Za-z0-9_-]{32}$/);
    expect(issued.apiKey.startsWith(`dpl_${issued.prefix}_`)).toBe(true);
    expect(apiKeyPrefix(issued.apiKey)).toBe(issued.prefix);
    expect(issued.hash).toBe(createHash('sha256').update(issued.apiKey).digest('hex'));
    expect(hashApiKey(issued.apiKey)).toBe(issued.hash);
    expect(apiKeyMatches(issued.apiKey, issued.hash)).toBe(true);
  });

  it('issues a different key, prefix and hash every time', () => {
    const keys = Array.from({ length: 20 }, () => issueApiKey());
    expect(new Set(keys.map((key) => key.apiKey)).size).toBe(20);
    expect(new Set(keys.map((key) => key.prefix)).size).toBe(20);
    expect(new Set(keys.map((key) => key.hash)).size).toBe(20);
    for (const key of keys) expect(apiKeyPrefix(key.apiKey)).toBe(key.prefix);
  });

  it('does not match a key that differs in any part', () => {
    const { apiKey, hash } = issueApiKey();
    const lastChar = apiKey.at(-1)!;
    const changedSecret = apiKey.slice(0, -1) + (lastChar === 'A' ? 'B' : 'A');
    const changedPrefix = apiKey.slice(0, 4) + (apiKey[4] === '0' ? '1' : '0') + apiKey.slice(5);
    for (const wrong of [changedSecret, changedPrefix, apiKey.toUpperCase(), `${apiKey} `, '']) {
      expect(apiKeyMatches(wrong, hash)).toBe(false);
    }
    expect(apiKeyMatches(issueApiKey().apiKey, hash)).toBe(false);
  });

  it('does not match against a stored hash that is malformed', () => {
    const { apiKey, hash } = issueApiKey();
    expect(apiKeyMatches(apiKey, '')).toBe(false);
    expect(apiKeyMatches(apiKey, 'not hex at all')).toBe(false);
    expect(apiKeyMatches(apiKey, hash.slice(0, 32))).toBe(false);
  });

  it('gives no prefix for a malformed key', () => {
    const { apiKey, prefix } = issueApiKey();
    const secret = apiKey.slice(`dpl_${prefix}_`.length);
    const malformed = [
      '',
      'dpl_',
      `xyz_${prefix}_${secret}`,
      `dpl_${prefix}${secret}`,
      `dpl_${prefix.slice(1)}_${secret}`,
      `dpl_${prefix.toUpperCase().replace(/^./, 'A')}_${secret}`,
      `dpl_${prefix}_${secret.slice(1)}`,
      `dpl_${prefix}_${secret}x`,
      `dpl_${prefix}_${secret.slice(1)}!`,
      ` ${apiKey}`,
      `${apiKey}\n`,
    ];
    for (const key of malformed) expect(apiKeyPrefix(key), key).toBeNull();
  });
});
