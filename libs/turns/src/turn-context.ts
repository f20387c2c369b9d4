// What one turn's prompt is built from, read in two rounds of parallel queries: first the user's message, the
// conversation (persona, consumer's name) and the persona version; then, with the message embedded, the persona's
// knowledge, the consumer's pinned and nearest memories, and the recent history.
import type { Kysely } from 'kysely';
import type { AppConfig } from '@doppel/config';
import type { Database, TurnRow } from '@doppel/db';
import type { EmbeddingBackend } from '@doppel/inference';
import type { KnowledgeHit, KnowledgeRepository } from '@doppel/knowledge';
import type { MemoryHit, MemoryRepository } from '@doppel/memory';
import type { PersonaVersion } from '@doppel/personas';
import type { PersonaVersionCache } from './persona-version-cache';

export interface TurnContext {
  userMessage: { content: string; position: string };
  personaId: string;
  /** What {{user}} becomes in the persona's text. */
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
    private readonly db: Kysely<Database>,
    private readonly config: AppConfig,
    private readonly memory: MemoryRepository,
    private readonly knowledge: KnowledgeRepository,
    private readonly personaVersions: PersonaVersionCache,
  ) {}

  async load(turn: TurnRow, embedder: EmbeddingBackend): Promise<TurnContext> {
    const [userMessage, conversation, personaVersion] = await Promise.all([
      this.db.selectFrom('messages').select(['content', 'position']).where('id', '=', turn.user_message_id).executeTakeFirstOrThrow(),
      this.db
        .selectFrom('conversations')
        .innerJoin('accounts', 'accounts.id', 'conversations.consumer_id')
        .select(['conversations.persona_id', 'accounts.display_name'])
        .where('conversations.id', '=', turn.conversation_id)
        .executeTakeFirstOrThrow(),
      this.personaVersions.get(turn.persona_version_id),
    ]);
    const [embedding] = await embedder.embed([userMessage.content]);
    const owner = { personaId: conversation.persona_id, consumerId: turn.consumer_id, embeddingModel: embedder.modelId };
    const [knowledge, pinned, nearest, history] = await Promise.all([
      // Shared by all the persona's consumers; found with the same query vector as the memories.
      this.knowledge.search({ personaId: owner.personaId, embeddingModel: owner.embeddingModel, embedding: embedding!, limit: this.config.knowledge.topK }),
      this.memory.pinned({ ...owner, limit: this.config.turns.maxPinnedMemories }),
      this.memory.search({ ...owner, embedding: embedding!, limit: this.config.turns.memoryTopK }),
      this.db
        .selectFrom('messages')
        .select(['role', 'content'])
        .where('conversation_id', '=', turn.conversation_id)
        .where('position', '<', userMessage.position)
        .where('state', '=', 'shown')
        .orderBy('position', 'desc')
        .limit(this.config.turns.historyMaxMessages)
        .execute(),
    ]);
    const pinnedIds = new Set(pinned.map((memory) => memory.id));
    return {
      userMessage,
      personaId: conversation.persona_id,
      consumerName: conversation.display_name,
      personaVersion,
      knowledge,
      memories: [...pinned, ...nearest.filter((memory) => !pinnedIds.has(memory.id))],
      history: history.reverse(),
    };
  }
}
