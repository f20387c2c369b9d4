// What one turn's prompt is built from. The claim already brought the user's message, the persona and the consumer's
// name and the recent history, and, when the job carried the message's text (embedded before the claim), the
// remembered memories too; here the rest is read in parallel: the persona version (cached), the memories if the claim
// did not recall them (pinned and nearest, one query) and, when the persona has any, its knowledge. The message is
// embedded once (the memory writer reuses the vector).
import { sql, type RawBuilder } from 'kysely';
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

  /** The recall for the claim to run in its own statement, with the message embedded before the claim. */
  recallInClaim(embedding: Float32Array, embeddingModel: string): RawBuilder<unknown> {
    return this.memory.recallAsJson({
      personaId: sql.ref('conversations.persona_id'),
      consumerId: sql.ref('turns.consumer_id'),
      embeddingModel,
      embedding,
      maxPinned: this.config.turns.maxPinnedMemories,
      topK: this.config.turns.memoryTopK,
    });
  }

  /**
   * `early`: the embedding of the text the job carried, when it was computed before the claim. It is used when that
   * text is the stored message's; the claim's recall only when it also saw every earlier memory (`fresh`).
   */
  async load(claimed: ClaimedTurn, embedder: EmbeddingBackend, early?: { text: string; embedding: Float32Array; fresh: boolean }): Promise<TurnContext> {
    const { turn } = claimed;
    const reuse = early?.text === claimed.userText ? early : undefined;
    const [embedding, personaVersion] = await Promise.all([
      reuse ? reuse.embedding : embedder.embed([claimed.userText]).then(([vector]) => vector!),
      this.personaVersions.get(turn.persona_version_id),
    ]);
    const owner = { personaId: claimed.personaId, consumerId: turn.consumer_id, embeddingModel: embedder.modelId };
    const recalled = reuse?.fresh ? claimed.recalledMemories : null;
    const [knowledge, memories] = await Promise.all([
      // Shared by all the persona's consumers; found with the same query vector as the memories.
      claimed.hasKnowledge
        ? this.knowledge.search({ personaId: owner.personaId, embeddingModel: owner.embeddingModel, embedding, limit: this.config.knowledge.topK })
        : [],
      recalled ?? this.memory.recall({ ...owner, embedding, maxPinned: this.config.turns.maxPinnedMemories, topK: this.config.turns.memoryTopK }),
    ]);
    return {
      userMessage: { content: claimed.userText, position: claimed.userPosition },
      userEmbedding: embedding,
      personaId: claimed.personaId,
      consumerName: claimed.consumerName,
      personaVersion,
      knowledge,
      memories,
      history: claimed.history,
    };
  }
}
