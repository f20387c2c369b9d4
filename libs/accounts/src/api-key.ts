// API keys look like dpl_<prefix>_<secret>. The prefix is public (it names the key in logs); only a
// SHA-256 of the whole key is stored. Keys carry 192 bits of randomness, so a fast hash is the right tool.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PATTERN = /^dpl_([a-z0-9]{10})_([A-Za-z0-9_-]{32})$/;

export interface IssuedApiKey {
  apiKey: string;
  prefix: string;
  hash: string;
}

export function issueApiKey(): IssuedApiKey {
  const prefix = randomBytes(8).toString('hex').slice(0, 10);
  const secret = randomBytes(24).toString('base64url');
  const apiKey = `dpl_${prefix}_${secret}`;
  return { apiKey, prefix, hash: hashApiKey(apiKey) };
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** The prefix of a well-formed key, or null: malformed keys never reach the database. */
export function apiKeyPrefix(apiKey: string): string | null {
  return KEY_PATTERN.exec(apiKey)?.[1] ?? null;
}

export function apiKeyMatches(apiKey: string, storedHash: string): boolean {
  const candidate = Buffer.from(hashApiKey(apiKey), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
