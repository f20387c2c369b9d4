// Rotating or revoking a key tells every gateway at once, over Redis pub/sub: each forgets the key and closes the
// connections opened with it. A gateway that misses a message (its subscriber was reconnecting) still catches up,
// because it re-checks the keys behind its open connections every cache TTL.
import type Redis from 'ioredis';
import { keyRevocationChannel } from '@doppel/redis';

/** A key that stopped working: the account it belonged to and its public prefix. */
export interface RevokedKey {
  accountId: string;
  keyPrefix: string;
}

function parseRevokedKey(message: string): RevokedKey | null {
  try {
    const parsed = JSON.parse(message) as Partial<RevokedKey>;
    return typeof parsed.accountId === 'string' && typeof parsed.keyPrefix === 'string' ? { accountId: parsed.accountId, keyPrefix: parsed.keyPrefix } : null;
  } catch {
    return null;
  }
}

export class KeyRevocationChannel {
  private readonly channel: string;

  constructor(redisPrefix: string) {
    this.channel = keyRevocationChannel(redisPrefix);
  }

  async announce(publisher: Redis, key: RevokedKey): Promise<void> {
    await publisher.publish(this.channel, JSON.stringify(key));
  }

  /** Subscribes a dedicated connection (one in subscriber mode can send nothing else). */
  async listen(subscriber: Redis, onRevoked: (key: RevokedKey) => void): Promise<void> {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const key = parseRevokedKey(message);
      if (key) onRevoked(key);
    });
    await subscriber.subscribe(this.channel);
  }
}
