import Redis from 'ioredis';

/**
 * maxRetriesPerRequest: null is what BullMQ requires of its connections, and what a blocking reader needs;
 * plain command connections keep ioredis's default so a Redis outage fails requests instead of hanging them.
 * Command connections pipeline automatically: commands issued in the same tick (the chunks of every turn a node
 * streams, flushed together) leave in one write and come back in one read.
 */
export function createRedis(url: string, options: { blocking?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    connectionName: options.name,
    maxRetriesPerRequest: options.blocking ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
    enableAutoPipelining: !options.blocking,
  });
}

/** BullMQ takes ioredis options rather than a URL. */
export function bullConnectionOptions(url: string): { host: string; port: number; username?: string; password?: string; db: number } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
  };
}
