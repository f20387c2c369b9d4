import { Injectable } from '@nestjs/common';
import { isUuid } from '@doppel/db';
import { fillPlaceholders, PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode, type AlternativeView, type ConversationView, type MessageView, type Page, type RatingsSummary } from '@doppel/protocol';
import { ConversationsRepository } from './conversations.repository';

export const conversationNotFound = (conversationId: string) =>
  new DoppelError(ErrorCode.ConversationNotFound, `Conversation ${conversationId} does not exist or is not yours.`);

@Injectable()
export class ConversationsService {
  constructor(
    private readonly repository: ConversationsRepository,
    private readonly personas: PersonasService,
  ) {}

  /**
   * Opens a conversation on the persona's current version; its greeting becomes the first assistant message.
   * `greetingIndex` 0 is the greeting; n picks alternateGreetings[n - 1].
   */
  async create(consumerId: string, personaId: string, greetingIndex = 0): Promise<ConversationView> {
    const persona = await this.personas.getVisible(personaId, consumerId);
    const greetings = [persona.definition.greeting, ...(persona.definition.alternateGreetings ?? [])];
    if (greetingIndex >= greetings.length) {
      throw new DoppelError(ErrorCode.ValidationFailed, `Persona ${personaId} has ${greetings.length} greeting(s); greetingIndex ${greetingIndex} does not exist.`);
    }
    const greeting = fillPlaceholders(greetings[greetingIndex]!, { char: persona.definition.name, user: await this.repository.consumerName(consumerId) });
    if (persona.status === 'archived') {
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; start a conversation with another persona.`);
    }
    const conversationId = await this.repository.createWithGreeting({ personaId: persona.id, personaVersionId: persona.versionId, consumerId }, greeting);
    return this.getOwned(conversationId, consumerId);
  }

  /**
   * Opens a conversation on the persona's current version holding `history` (a client's earlier messages, in
   * order) instead of the greeting: the chat so far becomes the context of the next turn. These messages answer no
   * turn, so nothing is remembered from them. With `conversationId` (a caller-derived id, for idempotent creation)
   * a conversation that already exists under that id is returned as it is, provided it is the consumer's.
   */
  async createFromHistory(
    consumerId: string,
    personaId: string,
    history: readonly { role: 'user' | 'assistant'; content: string }[],
    conversationId?: string,
  ): Promise<{ conversation: ConversationView; created: boolean }> {
    const persona = await this.personas.getVisible(personaId, consumerId);
    if (persona.status === 'archived') {
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; start a conversation with another persona.`);
    }
    const { id, created } = await this.repository.createWithHistory({ personaId: persona.id, personaVersionId: persona.versionId, consumerId }, history, conversationId);
    return { conversation: await this.getOwned(id, consumerId), created };
  }

  async getOwned(conversationId: string, consumerId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw conversationNotFound(conversationId);
    const conversation = await this.repository.findOwned(conversationId, consumerId);
    if (!conversation) throw conversationNotFound(conversationId);
    return conversation;
  }

  /** Rates one assistant reply of the consumer's conversation (1–5; rating again replaces it). */
  async rate(conversationId: string, messageId: string, consumerId: string, score: number): Promise<{ messageId: string; score: number }> {
    const { conversation, message } = await this.messageIn(conversationId, messageId, consumerId);
    if (message.role !== 'assistant') throw new DoppelError(ErrorCode.ValidationFailed, 'Only the persona’s replies can be rated.');
    await this.repository.rate({ messageId, consumerId, personaId: conversation.personaId, score });
    return { messageId, score };
  }

  /** Ratings of a persona's replies in aggregate, for its creator only (unknown and not-yours are the same 404). */
  async ratingsSummary(personaId: string, ownerId: string): Promise<RatingsSummary> {
    const persona = await this.personas.getVisible(personaId, ownerId);
    if (persona.ownerId !== ownerId) throw new DoppelError(ErrorCode.PersonaNotFound, `Persona ${personaId} does not exist or is not yours.`);
    const counts = await this.repository.ratingCounts(personaId);
    const distribution = Object.fromEntries([1, 2, 3, 4, 5].map((score) => [String(score), counts.find((row) => row.score === score)?.count ?? 0]));
    const count = Object.values(distribution).reduce((sum, n) => sum + n, 0);
    const average = count === 0 ? null : Object.entries(distribution).reduce((sum, [score, n]) => sum + Number(score) * n, 0) / count;
    return { count, average, distribution };
  }

  /** Every reply to the same user message as `messageId` (regenerated alternatives), oldest first. */
  async listAlternatives(conversationId: string, messageId: string, consumerId: string): Promise<AlternativeView[]> {
    const reply = await this.ownedReply(conversationId, messageId, consumerId);
    return this.repository.alternativesOf(reply.reply_to);
  }

  /** Shows this alternative and puts it (and what was remembered from it) in the context of later turns instead of its siblings. */
  async chooseAlternative(conversationId: string, messageId: string, consumerId: string): Promise<AlternativeView[]> {
    const reply = await this.ownedReply(conversationId, messageId, consumerId);
    await this.repository.chooseAlternative(reply.reply_to, messageId);
    return this.listAlternatives(conversationId, messageId, consumerId);
  }

  /** A reply (not the greeting, not superseded) in the consumer's conversation, or MESSAGE_NOT_FOUND. */
  private async ownedReply(conversationId: string, messageId: string, consumerId: string): Promise<{ reply_to: string }> {
    const { message } = await this.messageIn(conversationId, messageId, consumerId);
    if (message.role !== 'assistant' || message.reply_to === null || message.state === 'superseded') {
      throw new DoppelError(ErrorCode.MessageNotFound, `Message ${messageId} is not a reply with alternatives in conversation ${conversationId}.`);
    }
    return { reply_to: message.reply_to };
  }

  /** One message of the consumer's conversation: unknown conversation and unknown message are each a 404. */
  private async messageIn(conversationId: string, messageId: string, consumerId: string) {
    const conversation = await this.getOwned(conversationId, consumerId);
    const message = isUuid(messageId) ? await this.repository.messageIn(conversationId, messageId) : undefined;
    if (!message) throw new DoppelError(ErrorCode.MessageNotFound, `Message ${messageId} is not in conversation ${conversationId}.`);
    return { conversation, message };
  }

  /** Moves the conversation to the persona's current version (it stays on the one it started with otherwise). */
  async moveToLatestVersion(conversationId: string, consumerId: string): Promise<ConversationView> {
    const conversation = await this.getOwned(conversationId, consumerId);
    const persona = await this.personas.getVisible(conversation.personaId, consumerId);
    await this.repository.setPersonaVersion(conversationId, persona.versionId);
    return this.getOwned(conversationId, consumerId);
  }

  /** Deletes a conversation with its messages, turns, receipts and the memories made from it (FK cascades). */
  async delete(conversationId: string, consumerId: string): Promise<void> {
    if (!isUuid(conversationId)) throw conversationNotFound(conversationId);
    if (!(await this.repository.deleteOwned(conversationId, consumerId))) throw conversationNotFound(conversationId);
  }

  async listMine(consumerId: string, options: { limit: number; cursor?: string }): Promise<Page<ConversationView>> {
    return this.repository.listOwned(consumerId, options);
  }

  /** The latest `limit` messages before the cursor, oldest first; nextCursor pages further back. */
  async listMessages(conversationId: string, consumerId: string, options: { limit: number; before?: string }): Promise<Page<MessageView>> {
    await this.getOwned(conversationId, consumerId);
    return this.repository.listShownMessages(conversationId, options);
  }
}
