import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '@doppel/config';

export interface RedisConnectOptions {
  blocking?: boolean;
  name?: string;
  /** No connection until the first command. */
  lazy?: boolean;
}

/**
 * maxRetriesPerRequest: null is what BullMQ requires of its connections, and what a blocking reader needs;
 * plain command connections keep ioredis's default so a Redis outage fails requests instead of hanging them.
 * Command connections to one Redis pipeline automatically: commands issued in the same tick (the chunks of every turn
 * a node streams, flushed together) leave in one write and come back in one read.
 *
 * With REDIS_CLUSTER_NODES the client is an ioredis Cluster. It answers every command Doppel sends the same way
 * (each multi-key command's keys share a hash tag, see redis-keys.ts), so callers keep the `Redis` type; the one
 * thing that differs, a blocking read over many streams, asks `isCluster` (see @doppel/streaming).
 */
export function createRedis(config: RedisConfig, options: RedisConnectOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    maxRetriesPerRequest: options.blocking ? null : 3,
    enableReadyCheck: true,
    lazyConnect: options.lazy ?? false,
  };
  if (!config.clusterNodes) return standaloneRedis(config.url, { ...redisOptions, enableAutoPipelining: !options.blocking });
  // No auto-pipelining on a cluster: ioredis groups a tick's commands per node, and when a failover moves that node's
  // slots the batch's commands fail with MOVED for different slots, which it does not retry (only a batch whose
  // errors are all the same is); the caller got a raw MOVED (a refused resume, a failed turn attempt). Sent one by
  // one, each command follows the redirection and rides out the failover below.
  return createCluster(config, redisOptions, { enableAutoPipelining: false, lazyConnect: options.lazy ?? false }) as unknown as Redis;
}

/**
 * A Redis on this machine can be reached over its Unix socket, `unix:///run/redis/redis.sock` (optionally `?db=N`):
 * no TCP stack on either side, which on a loopback connection is most of what a small command costs both ends.
 * Null for a `redis://` or `rediss://` URL.
 */
export function unixSocketOf(url: string): { path: string; db: number } | null {
  const parsed = new URL(url);
  if (parsed.protocol !== 'unix:') return null;
  return { path: decodeURIComponent(parsed.pathname), db: Number(parsed.searchParams.get('db') ?? 0) };
}

function standaloneRedis(url: string, options: RedisOptions): Redis {
  const socket = unixSocketOf(url);
  return socket ? new Redis({ ...options, ...socket }) : new Redis(url, options);
}

export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

function createCluster(config: RedisConfig, redisOptions: RedisOptions, options: ClusterOptions): Cluster {
  return new Cluster(
    (config.clusterNodes ?? []).map((node) => ({ host: node.host, port: node.port })),
    {
      ...options,
      redisOptions,
      // After a primary dies its replica is promoted within cluster-node-timeout; retry through that window
      // (MOVED / CLUSTERDOWN / a closed connection) instead of failing commands at once.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      maxRedirections: 32,
      slotsRefreshTimeout: 2000,
    },
  );
}

/** What BullMQ is given: connection options for one Redis, or a Cluster it shares and we close after it. */
export interface BullConnection {
  connection: RedisOptions | Cluster;
  /** Closes what BullMQ does not close itself (a shared Cluster); call after the queue or worker closed. */
  close(): Promise<void>;
}

export function bullConnection(config: RedisConfig): BullConnection {
  if (!config.clusterNodes) return { connection: bullConnectionOptions(config.url), close: async () => undefined };
  const cluster = createCluster(config, { maxRetriesPerRequest: null, enableReadyCheck: true }, {});
  return {
    connection: cluster,
    close: async () => {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

/** BullMQ takes ioredis options rather than a URL. */
export function bullConnectionOptions(url: string): { host: string; port: number; username?: string; password?: string; db: number } | { path: string; db: number } {
  const socket = unixSocketOf(url);
  if (socket) return socket;
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
  };
}
