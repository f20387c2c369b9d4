// What one turn's prompt is built from. The claim already brought the user's message, the persona and the consumer's
// name and the recent history; here the message is embedded once (the memory writer reuses the vector) and the
// persona version (cached), the remembered memories (pinned and nearest, one query) and, when the persona has any,
// its knowledge are read in parallel.
import type { AppConfig } from '@doppel/config';
import type { EmbeddingBackend } from '@doppel/inference';
import type { KnowledgeHit, KnowledgeRepository } from '@doppel/knowledge';
import type { MemoryHit, MemoryRepository } from '@doppel/memory';
import type { PersonaVersion } from '@doppel/personas';
import type { PersonaVersionCache } from './persona-version-cache';
import type { ClaimedTurn } from './turn.repository';

export interface TurnContext {
  userMessage: { content: string; position: string };
  /** The user message's embedding (stored with its memory later, not computed twice). */
  userEmbedding: Float32Array;
  personaId: string;
  consumerName: string;
  personaVersion: PersonaVersion;
  knowledge: KnowledgeHit[];
  /** Pinned memories first (oldest first), then the nearest others (nearest first). */
  memories: MemoryHit[];
  /** Shown messages before the user's, oldest first. */
  history: { role: 'user' | 'assistant'; content: string }[];
}

export class TurnContextLoader {
  constructor(
    private readonly config: AppConfig,
    private readonly memory: MemoryRepository,
    private readonly knowledge: KnowledgeRepository,
    private readonly personaVersions: PersonaVersionCache,
  ) {}

  async load(claimed: ClaimedTurn, embedder: EmbeddingBackend): Promise<TurnContext> {
    const { turn } = claimed;
    const [[embedding], personaVersion] = await Promise.all([embedder.embed([claimed.userText]), this.personaVersions.get(turn.persona_version_id)]);
    const owner = { personaId: claimed.personaId, consumerId: turn.consumer_id, embeddingModel: embedder.modelId };
    const [knowledge, memories] = await Promise.all([
      // Shared by all the persona's consumers; found with the same query vector as the memories.
      claimed.hasKnowledge
        ? this.knowledge.search({ personaId: owner.personaId, embeddingModel: owner.embeddingModel, embedding: embedding!, limit: this.config.knowledge.topK })
        : [],
      this.memory.recall({ ...owner, embedding: embedding!, maxPinned: this.config.turns.maxPinnedMemories, topK: this.config.turns.memoryTopK }),
    ]);
    return {
      userMessage: { content: claimed.userText, position: claimed.userPosition },
      userEmbedding: embedding!,
      personaId: claimed.personaId,
      consumerName: claimed.consumerName,
      personaVersion,
      knowledge,
      memories,
      history: claimed.history,
    };
  }
}
