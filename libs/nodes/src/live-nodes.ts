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

  /** Nodes that take turns for the model. */
  async servingChatModel(modelId: string): Promise<NodeHeartbeat[]> {
    return (await this.withChatModel(modelId)).filter((node) => node.servesTurns !== false);
  }

  /**
   * Nodes that have the model loaded, turn-serving or verifier-only. A cached "nobody" is re-checked first;
   * `fresh` skips the cache (re-execution must not pick a node that just died).
   */
  async withChatModel(modelId: string, options: { fresh?: boolean } = {}): Promise<NodeHeartbeat[]> {
    const serving = (nodes: NodeHeartbeat[]) => nodes.filter((node) => node.chatModels.some((model) => model.modelId === modelId));
    const cached = serving(await this.nodes(options.fresh));
    return cached.length > 0 ? cached : serving(await this.nodes(true));
  }
}
