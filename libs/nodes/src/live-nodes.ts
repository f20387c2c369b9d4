import type { NodeHeartbeat, NodeRegistry } from './node-registry';

/** Live nodes, re-read at most every `maxAgeMs`: the turn path asks on every turn and must not hammer Redis. */
export class LiveNodesCache {
  private cached: { at: number; nodes: Promise<NodeHeartbeat[]> } | null = null;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly maxAgeMs = 500,
  ) {}

  nodes(): Promise<NodeHeartbeat[]> {
    if (!this.cached || Date.now() - this.cached.at > this.maxAgeMs) {
      const nodes = this.registry.live();
      this.cached = { at: Date.now(), nodes };
      nodes.catch(() => (this.cached = null));
    }
    return this.cached.nodes;
  }

  async servingChatModel(modelId: string): Promise<NodeHeartbeat[]> {
    return (await this.nodes()).filter((node) => node.chatModels.some((model) => model.modelId === modelId));
  }
}
