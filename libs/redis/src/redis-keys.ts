// Every Redis key and name Doppel uses, in one place, under the deployment's REDIS_PREFIX. The part in braces is
// the key's hash tag: on Redis Cluster, everything about one turn, node or account lands in one slot.

/** BullMQ's own prefix: producers and consumers must agree on it, or jobs are queued where nobody consumes. */
export const bullPrefix = (prefix: string): string => `${prefix}:bull`;

/** A turn's token stream (XADD by the node, XREAD by the gateway that holds the consumer's socket). */
export const turnStreamKey = (prefix: string, turnId: string): string => `${prefix}:turn:{${turnId}}:events`;

/** Where a checking node leaves its re-execution of a turn for the serving node. */
export const reexecResultKey = (prefix: string, turnId: string): string => `${prefix}:turn:{${turnId}}:reexec`;

/** The live nodes (sorted by heartbeat) and one node's advertised state. */
export const nodesIndexKey = (prefix: string): string => `${prefix}:nodes`;
export const nodeKey = (prefix: string, nodeId: string): string => `${prefix}:node:{${nodeId}}`;

/** An OHTTP encapsulated key already served (replay protection), by its hash; kept for twice the replay window. */
export const ohttpSeenKey = (prefix: string, encHash: string): string => `${prefix}:ohttp:seen:${encHash}`;
