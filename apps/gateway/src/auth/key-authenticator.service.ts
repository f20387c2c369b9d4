// How the gateway checks API keys, for REST and socket handshakes alike: through a short-lived cache, so a warm
// handshake costs no database query, with revocation reaching every gateway at once (Redis pub/sub) and, should a
// message be missed, within one cache TTL (the keys behind open sockets are re-checked that often).
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Socket } from 'socket.io';
import { AccountsService, ApiKeyCache, KeyRevocationChannel, type AuthenticatedKey, type RevokedKey } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { createRedis, REDIS } from '@doppel/redis';
import { KeySockets } from './key-sockets';

/** The database is asked about at most this many keys at once when re-checking open sockets. */
const RECHECK_BATCH = 1000;

@Injectable()
export class KeyAuthenticator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeyAuthenticator.name);
  private readonly cache: ApiKeyCache;
  private readonly channel: KeyRevocationChannel;
  private readonly sockets = new KeySockets();
  private subscriber: Redis | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private rechecking = false;

  constructor(
    private readonly accounts: AccountsService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.cache = new ApiKeyCache((prefix) => accounts.findKey(prefix), config.gateway.apiKeyCacheTtlMs);
    this.channel = new KeyRevocationChannel(config.redis.prefix);
  }

  async onModuleInit(): Promise<void> {
    this.subscriber = createRedis(this.config.redis, { name: 'doppel-key-revocations' });
    await this.channel.listen(this.subscriber, (key) => this.apply(key));
    this.recheck = setInterval(() => void this.recheckOpenSockets(), this.config.gateway.apiKeyCacheTtlMs);
    this.recheck.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.recheck) clearInterval(this.recheck);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  authenticate(apiKey: string | null | undefined): Promise<AuthenticatedKey | null> {
    return this.cache.authenticate(apiKey);
  }

  /** A socket that authenticated with this key: closed when the key stops working. */
  watch(socket: Socket, key: AuthenticatedKey): void {
    this.sockets.watch(socket, key.account.id, key.keyPrefix);
  }

  /** After a key was rotated or revoked in the database: this gateway at once, the others through Redis. */
  async keyStopped(key: RevokedKey): Promise<void> {
    this.apply(key);
    await this.channel.announce(this.redis, key);
  }

  private apply(key: RevokedKey): void {
    this.cache.forget(key.keyPrefix);
    const closed = this.sockets.revoke(key.keyPrefix, key.accountId);
    if (closed > 0) this.logger.log(`closed ${closed} socket(s) of revoked key ${key.keyPrefix}`);
  }

  private async recheckOpenSockets(): Promise<void> {
    if (this.rechecking) return;
    this.rechecking = true;
    try {
      const prefixes = this.sockets.keyPrefixes();
      for (let start = 0; start < prefixes.length; start += RECHECK_BATCH) {
        const batch = prefixes.slice(start, start + RECHECK_BATCH);
        const working = await this.accounts.workingKeyPrefixes(batch);
        for (const prefix of batch) {
          if (working.has(prefix)) continue;
          this.cache.forget(prefix);
          const closed = this.sockets.revoke(prefix);
          if (closed > 0) this.logger.warn(`closed ${closed} socket(s) of key ${prefix}, revoked without a message reaching this gateway`);
        }
      }
    } catch (error) {
      this.logger.warn(`re-checking the keys of open sockets failed: ${(error as Error).message}`);
    } finally {
      this.rechecking = false;
    }
  }
}
