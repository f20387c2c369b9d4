import type { NodeHeartbeat, NodeRegistry } from './node-registry';

/** Live nodes, re-read at most every `maxAgeMs`: the turn path asks on every turn and must not hammer Redis. */
export class LiveNodesCache {
  private cached: { at: number; nodes: Promise<NodeHeartbeat[]> } | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly maxAgeMs = 500,
  ) {}

  nodes(fresh = false): Promise<NodeHeartbeat[]> {
    if (fresh || !this.cached || Date.now() - this.cached.at > this.maxAgeMs) {
      const nodes = this.registry.live();
      this.cached = { at: Date.now(), nodes };
      nodes.catch(() => (this.cached = null));
    }
    return this.cached.nodes;
  }

  /** A cached "nobody serves it" is re-checked before it is believed: a node that just started must not be refused. */
  async servingChatModel(modelId: string): Promise<NodeHeartbeat[]> {
    const serving = (nodes: NodeHeartbeat[]) => nodes.filter((node) => node.chatModels.some((model) => model.modelId === modelId));
    const cached = serving(await this.nodes());
    return cached.length > 0 ? cached : serving(await this.nodes(true));
  }
}
