// Every Redis key and name Doppel uses, in one place, under the deployment's REDIS_PREFIX. The part in braces is
// the key's hash tag: on Redis Cluster only keys with the same tag may meet in one command or MULTI, so each
// multi-key operation below uses keys of one tag (checked against a real cluster by test/redis-cluster.e2e-spec.ts).
// One Redis ignores the braces: the layout is the same in both modes, and costs nothing there.

/**
 * BullMQ's prefix for one queue. The queue's name is the tag: BullMQ's scripts touch one queue's keys at a time, so
 * each queue lives in one slot and different queues (per model, per node) spread over the cluster's shards.
 * Producers and consumers must agree on it, or jobs are queued where nobody consumes.
 */
export const bullPrefix = (prefix: string, queueName: string): string => `${prefix}:bull:{${queueName}}`;

/**
 * Turn streams are spread over this many hash tags ("stream groups"). A gateway reads the streams it follows with
 * one blocking XREAD per group that has any (on one Redis: one XREAD over all of them), so the number bounds a
 * gateway's blocking connections on a cluster while still spreading streams over its shards.
 */
export const TURN_STREAM_GROUPS = 16;

/** Which stream group a turn's stream is in (FNV-1a of the id). */
export function turnStreamGroup(turnId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < turnId.length; index++) hash = Math.imul(hash ^ turnId.charCodeAt(index), 0x01000193);
  return (hash >>> 0) % TURN_STREAM_GROUPS;
}

const streamTag = (group: number): string => `{ts${group}}`;

/** A turn's token stream (XADD by the node, XREAD by the gateway that holds the consumer's socket). */
export const turnStreamKey = (prefix: string, turnId: string): string => `${prefix}:turn:${streamTag(turnStreamGroup(turnId))}:${turnId}:events`;

/** A gateway's wake-up stream in one group: an entry there ends that group's blocking read (Cluster only). */
export const turnStreamWakeKey = (prefix: string, group: number, readerId: string): string => `${prefix}:turn:${streamTag(group)}:wake:${readerId}`;

/** Where a checking node leaves its re-execution of a turn for the serving node. */
export const reexecResultKey = (prefix: string, turnId: string): string => `${prefix}:turn:{${turnId}}:reexec`;

/** The live nodes (sorted by heartbeat) and one node's advertised state: one tag, read together with MGET. */
export const nodesIndexKey = (prefix: string): string => `${prefix}:{nodes}`;
export const nodeKey = (prefix: string, nodeId: string): string => `${prefix}:{nodes}:${nodeId}`;

/** An account's fixed-window counter for one kind of request (INCR + EXPIRE in one MULTI). */
export const rateWindowKey = (prefix: string, accountId: string, bucket: string, windowStart: number): string =>
  `${prefix}:rate:{${accountId}}:${bucket}:${windowStart}`;

/** An account's open sockets across gateways (sorted set scored by last refresh). */
export const accountSocketsKey = (prefix: string, accountId: string): string => `${prefix}:sockets:{${accountId}}`;

/** Pub/sub channel announcing rotated or revoked API keys to every gateway (channels have no slot). */
export const keyRevocationChannel = (prefix: string): string => `${prefix}:api-key-revoked`;

/** An OHTTP encapsulated key already served (replay protection), by its hash; kept for twice the replay window. */
export const ohttpSeenKey = (prefix: string, encHash: string): string => `${prefix}:ohttp:seen:${encHash}`;

/** A wallet-link challenge (the exact Sign-In with Ethereum message issued), by its one-time nonce. */
export const walletChallengeKey = (prefix: string, nonce: string): string => `${prefix}:wallet-challenge:${nonce}`;
