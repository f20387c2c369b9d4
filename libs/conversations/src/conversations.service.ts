import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { beforeTimeAndId, DATABASE, isUuid, keysetPage, positionBefore, type Database, type Page } from '@doppel/db';
import { fillPlaceholders, personaText, PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export interface ConversationView {
  id: string;
  personaId: string;
  personaVersionId: string;
  personaName: string;
  lastMessageAt: Date;
  createdAt: Date;
}

export interface MessageView {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  turnId: string | null;
  /** For a reply: the user message it answers. */
  replyTo: string | null;
  /** For a reply: how many alternatives (regenerated replies) its user message has, this one included. */
  alternatives: number;
  editedAt: Date | null;
  createdAt: Date;
}

export interface AlternativeView {
  id: string;
  content: string;
  turnId: string | null;
  /** The one shown and in the context of later turns. */
  chosen: boolean;
  createdAt: Date;
}

export type { Page };

export const conversationNotFound = (conversationId: string) =>
  new DoppelError(ErrorCode.ConversationNotFound, `Conversation ${conversationId} does not exist or is not yours.`);

@Injectable()
export class ConversationsService {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
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
    const consumer = await this.db.selectFrom('accounts').select('display_name').where('id', '=', consumerId).executeTakeFirstOrThrow();
    const greeting = fillPlaceholders(greetings[greetingIndex]!, { char: persona.definition.name, user: consumer.display_name });
    if (persona.status === 'archived') {
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; start a conversation with another persona.`);
    }
    const conversationId = await this.db.transaction().execute(async (trx) => {
      const conversation = await trx
        .insertInto('conversations')
        .values({ persona_id: persona.id, persona_version_id: persona.versionId, consumer_id: consumerId })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (greeting.trim()) {
        await trx.insertInto('messages').values({ conversation_id: conversation.id, role: 'assistant', content: greeting }).execute();
      }
      return conversation.id;
    });
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
    const { id, created } = await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('conversations')
        .values({ ...(conversationId ? { id: conversationId } : {}), persona_id: persona.id, persona_version_id: persona.versionId, consumer_id: consumerId })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return { id: conversationId!, created: false };
      // One row at a time keeps `position` in the order given (a multi-row insert does not promise it).
      for (const message of history) {
        await trx.insertInto('messages').values({ conversation_id: inserted.id, role: message.role, content: message.content }).execute();
      }
      return { id: inserted.id, created: true };
    });
    return { conversation: await this.getOwned(id, consumerId), created };
  }

  async getOwned(conversationId: string, consumerId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw conversationNotFound(conversationId);
    const row = await this.viewQuery()
      .where('conversations.id', '=', conversationId)
      .where('conversations.consumer_id', '=', consumerId)
      .executeTakeFirst();
    if (!row) throw conversationNotFound(conversationId);
    return toConversationView(row);
  }

  /** Rates one assistant reply of the consumer's conversation (1–5; rating again replaces it). */
  async rate(conversationId: string, messageId: string, consumerId: string, score: number): Promise<{ messageId: string; score: number }> {
    const { conversation, message } = await this.messageIn(conversationId, messageId, consumerId);
    if (message.role !== 'assistant') throw new DoppelError(ErrorCode.ValidationFailed, 'Only the persona’s replies can be rated.');
    await this.db
      .insertInto('message_ratings')
      .values({ message_id: messageId, consumer_id: consumerId, persona_id: conversation.personaId, score })
      .onConflict((conflict) => conflict.column('message_id').doUpdateSet({ score }))
      .execute();
    return { messageId, score };
  }

  /** Ratings of a persona's replies in aggregate, for its creator only (unknown and not-yours are the same 404). */
  async ratingsSummary(personaId: string, ownerId: string): Promise<{ count: number; average: number | null; distribution: Record<string, number> }> {
    const persona = await this.personas.getVisible(personaId, ownerId);
    if (persona.ownerId !== ownerId) throw new DoppelError(ErrorCode.PersonaNotFound, `Persona ${personaId} does not exist or is not yours.`);
    const rows = await this.db
      .selectFrom('message_ratings')
      .select(['score', sql<string>`count(*)::text`.as('count')])
      .where('persona_id', '=', personaId)
      .groupBy('score')
      .execute();
    const distribution = Object.fromEntries([1, 2, 3, 4, 5].map((score) => [String(score), Number(rows.find((row) => row.score === score)?.count ?? 0)]));
    const count = Object.values(distribution).reduce((sum, n) => sum + n, 0);
    const average = count === 0 ? null : Object.entries(distribution).reduce((sum, [score, n]) => sum + Number(score) * n, 0) / count;
    return { count, average, distribution };
  }

  /** Every reply to the same user message as `messageId` (regenerated alternatives), oldest first. */
  async listAlternatives(conversationId: string, messageId: string, consumerId: string): Promise<AlternativeView[]> {
    const reply = await this.ownedReply(conversationId, messageId, consumerId);
    const rows = await this.db
      .selectFrom('messages')
      .select(['id', 'content', 'turn_id', 'state', 'created_at'])
      .where('reply_to', '=', reply.reply_to)
      .where('state', '<>', 'superseded')
      .orderBy('position')
      .execute();
    return rows.map((row) => ({ id: row.id, content: row.content, turnId: row.turn_id, chosen: row.state === 'shown', createdAt: row.created_at }));
  }

  /** Shows this alternative and puts it (and what was remembered from it) in the context of later turns instead of its siblings. */
  async chooseAlternative(conversationId: string, messageId: string, consumerId: string): Promise<AlternativeView[]> {
    const reply = await this.ownedReply(conversationId, messageId, consumerId);
    await this.db.transaction().execute(async (trx) => {
      const siblings = await trx
        .selectFrom('messages')
        .select('id')
        .where('reply_to', '=', reply.reply_to)
        .where('state', '<>', 'superseded')
        .forUpdate()
        .execute();
      const others = siblings.map((row) => row.id).filter((id) => id !== messageId);
      if (others.length > 0) {
        await trx.updateTable('messages').set({ state: 'alternative' }).where('id', 'in', others).execute();
        await trx.updateTable('memories').set({ in_context: false }).where('source_message_id', 'in', others).execute();
      }
      await trx.updateTable('messages').set({ state: 'shown' }).where('id', '=', messageId).execute();
      await trx.updateTable('memories').set({ in_context: true }).where('source_message_id', '=', messageId).execute();
    });
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
    const message = isUuid(messageId)
      ? await this.db
          .selectFrom('messages')
          .select(['id', 'role', 'reply_to', 'state'])
          .where('id', '=', messageId)
          .where('conversation_id', '=', conversationId)
          .executeTakeFirst()
      : undefined;
    if (!message) throw new DoppelError(ErrorCode.MessageNotFound, `Message ${messageId} is not in conversation ${conversationId}.`);
    return { conversation, message };
  }

  /** Moves the conversation to the persona's current version (it stays on the one it started with otherwise). */
  async moveToLatestVersion(conversationId: string, consumerId: string): Promise<ConversationView> {
    const conversation = await this.getOwned(conversationId, consumerId);
    const persona = await this.personas.getVisible(conversation.personaId, consumerId);
    await this.db.updateTable('conversations').set({ persona_version_id: persona.versionId }).where('id', '=', conversationId).execute();
    return this.getOwned(conversationId, consumerId);
  }

  /** Deletes a conversation with its messages, turns, receipts and the memories made from it (FK cascades). */
  async delete(conversationId: string, consumerId: string): Promise<void> {
    if (!isUuid(conversationId)) throw conversationNotFound(conversationId);
    const result = await this.db.deleteFrom('conversations').where('id', '=', conversationId).where('consumer_id', '=', consumerId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw conversationNotFound(conversationId);
  }

  async listMine(consumerId: string, options: { limit: number; cursor?: string }): Promise<Page<ConversationView>> {
    let query = this.viewQuery()
      .where('conversations.consumer_id', '=', consumerId)
      .orderBy('conversations.last_message_at', 'desc')
      .orderBy('conversations.id', 'desc')
      .limit(options.limit + 1);
    if (options.cursor) query = query.where(beforeTimeAndId('conversations.last_message_at', 'conversations.id', options.cursor));
    const rows = await query.execute();
    return keysetPage(rows, options.limit, (row) => [row.last_message_at_text, row.id], toConversationView);
  }

  /** The latest `limit` messages before the cursor, oldest first; nextCursor pages further back. */
  async listMessages(conversationId: string, consumerId: string, options: { limit: number; before?: string }): Promise<Page<MessageView>> {
    await this.getOwned(conversationId, consumerId);
    let query = this.db
      .selectFrom('messages')
      .select([
        'id',
        'position',
        'role',
        'content',
        'turn_id',
        'reply_to',
        'edited_at',
        'created_at',
        sql<number>`CASE WHEN reply_to IS NULL THEN 1 ELSE (SELECT count(*)::int FROM messages AS sibling WHERE sibling.reply_to = messages.reply_to AND sibling.state <> 'superseded') END`.as('alternatives'),
      ])
      .where('conversation_id', '=', conversationId)
      .where('state', '=', 'shown')
      .orderBy('position', 'desc')
      .limit(options.limit + 1);
    if (options.before) query = query.where('position', '<', positionBefore(options.before));
    const rows = await query.execute();
    // Newest first from the query; the page reads oldest first, and its cursor is the oldest row's position.
    const page = keysetPage(rows, options.limit, (row) => [row.position], (row) => ({
      id: row.id,
      role: row.role,
      content: row.content,
      turnId: row.turn_id,
      replyTo: row.reply_to,
      alternatives: row.alternatives,
      editedAt: row.edited_at,
      createdAt: row.created_at,
    }));
    return { items: page.items.reverse(), nextCursor: page.nextCursor };
  }

  private viewQuery() {
    return this.db
      .selectFrom('conversations')
      .innerJoin('persona_versions', 'persona_versions.id', 'conversations.persona_version_id')
      .select([
        'conversations.id',
        'conversations.persona_id',
        'conversations.persona_version_id',
        'conversations.last_message_at',
        'conversations.created_at',
        personaText('name').as('persona_name'),
        sql<string>`conversations.last_message_at::text`.as('last_message_at_text'),
      ]);
  }
}

function toConversationView(row: {
  id: string;
  persona_id: string;
  persona_version_id: string;
  persona_name: string;
  last_message_at: Date;
  created_at: Date;
}): ConversationView {
  return {
    id: row.id,
    personaId: row.persona_id,
    personaVersionId: row.persona_version_id,
    personaName: row.persona_name,
    lastMessageAt: row.last_message_at,
    createdAt: row.created_at,
  };
}
