// Which inference nodes are alive: each node writes a heartbeat to Redis; anyone can list the live ones.
import type Redis from 'ioredis';
import { nodeKey, nodesIndexKey } from '@doppel/redis';

export interface NodeHeartbeat {
  nodeId: string;
  /** The node's Ethereum address (lowercase): who signs its receipts. */
  address: string;
  /** false for verifier-only nodes: they re-execute, but take no turns of their own. */
  servesTurns: boolean;
  chatModels: { modelId: string; modelHash: string }[];
  embeddingModel: { modelId: string; modelHash: string; dimensions: number };
  refusedModels: { modelId: string; reason: string }[];
  /** The node runs the optional zk prover (apps/zk-prover) and can serve level zk. */
  zkProver?: boolean;
  concurrency: number;
  activeTurns: number;
  turnsServed: number;
  startedAt: string;
  beatAt: string;
}

export class NodeRegistry {
  private readonly indexKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {
    this.indexKey = nodesIndexKey(prefix);
  }

  private nodeKey(nodeId: string): string {
    return nodeKey(this.prefix, nodeId);
  }

  async beat(heartbeat: NodeHeartbeat): Promise<void> {
    const now = Date.now();
    await this.redis
      .multi()
      .set(this.nodeKey(heartbeat.nodeId), JSON.stringify(heartbeat), 'PX', this.ttlMs)
      .zadd(this.indexKey, now, heartbeat.nodeId)
      .zremrangebyscore(this.indexKey, '-inf', now - this.ttlMs * 10)
      .exec();
  }

  async remove(nodeId: string): Promise<void> {
    await this.redis.multi().del(this.nodeKey(nodeId)).zrem(this.indexKey, nodeId).exec();
  }

  /** Nodes whose last heartbeat is younger than the TTL. */
  async live(): Promise<NodeHeartbeat[]> {
    const nodeIds = await this.redis.zrangebyscore(this.indexKey, Date.now() - this.ttlMs, '+inf');
    if (nodeIds.length === 0) return [];
    const values = await this.redis.mget(nodeIds.map((nodeId) => this.nodeKey(nodeId)));
    return values.filter((value): value is string => value !== null).map((value) => JSON.parse(value) as NodeHeartbeat);
  }
}
