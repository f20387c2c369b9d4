// Keys looked up by prefix, kept for a short time so a warm handshake or REST call costs no database query. A key
// that stops working is forgotten at once when its gateway hears of it (KeyRevocationChannel); the TTL bounds how
// long a missed message can leave it working.
import { accountForKey, type Account, type StoredKey } from './accounts.service';
import { apiKeyPrefix } from './api-key';

export interface AuthenticatedKey {
  account: Account;
  /** The prefix of the key the caller presented: what a revocation names. */
  keyPrefix: string;
}

interface Entry {
  stored: StoredKey | null;
  expiresAt: number;
}

interface Lookup {
  result: Promise<StoredKey | null>;
  /** Set when the key is forgotten while the query runs: its answer may predate the revocation. */
  stale: boolean;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly lookups = new Map<string, Lookup>();

  constructor(
    private readonly lookup: (prefix: string) => Promise<StoredKey | null>,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account the key authenticates as, or null for a malformed, unknown, revoked or wrong key. */
  async authenticate(apiKey: string | null | undefined): Promise<AuthenticatedKey | null> {
    const keyPrefix = apiKey ? apiKeyPrefix(apiKey) : null;
    if (!apiKey || !keyPrefix) return null;
    const account = accountForKey(apiKey, await this.stored(keyPrefix));
    return account ? { account, keyPrefix } : null;
  }

  /** Drops what is known about a key; the next use reads the database. */
  forget(keyPrefix: string): void {
    this.entries.delete(keyPrefix);
    const running = this.lookups.get(keyPrefix);
    if (running) {
      running.stale = true;
      this.lookups.delete(keyPrefix);
    }
  }

  private stored(keyPrefix: string): Promise<StoredKey | null> {
    const entry = this.entries.get(keyPrefix);
    if (entry && entry.expiresAt > this.now()) return Promise.resolve(entry.stored);
    if (entry) this.entries.delete(keyPrefix);
    // Concurrent handshakes with one cold key share one query.
    const running = this.lookups.get(keyPrefix);
    if (running) return running.result;
    const lookup: Lookup = { result: Promise.resolve(null), stale: false };
    lookup.result = this.load(keyPrefix, lookup).finally(() => {
      if (this.lookups.get(keyPrefix) === lookup) this.lookups.delete(keyPrefix);
    });
    this.lookups.set(keyPrefix, lookup);
    return lookup.result;
  }

  private async load(keyPrefix: string, lookup: Lookup): Promise<StoredKey | null> {
    const stored = await this.lookup(keyPrefix);
    // Forgotten meanwhile: read again rather than answer (or keep) what the database said before the change.
    if (lookup.stale) return this.lookup(keyPrefix);
    this.entries.set(keyPrefix, { stored, expiresAt: this.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return stored;
  }
}
