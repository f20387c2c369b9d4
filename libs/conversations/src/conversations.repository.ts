// Owns conversations, their messages outside the turn path (greetings, a client's history, alternatives chosen, the
// reads of a stored reply and its count) and message_ratings. The turn path's writes are TurnIntakeRepository's (user
// message, turn) and TurnRepository's (reply), each in its turn's one statement; every change of a message's state,
// wherever it is made, is written in message-states.ts.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { beforeTimeAndId, DATABASE, keysetPage, positionBefore, type Database, type MessageState, type Page } from '@doppel/db';
import { personaText } from '@doppel/personas';
import type { AlternativeView, ConversationView, MessageView } from '@doppel/protocol';
import { showReply } from './message-states';

export interface NewConversation {
  personaId: string;
  personaVersionId: string;
  consumerId: string;
}

@Injectable()
export class ConversationsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async consumerName(consumerId: string): Promise<string> {
    const row = await this.db.selectFrom('accounts').select('display_name').where('id', '=', consumerId).executeTakeFirstOrThrow();
    return row.display_name;
  }

  /** A new conversation and, unless it is blank, its greeting as the first assistant message. */
  async createWithGreeting(conversation: NewConversation, greeting: string): Promise<string> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('conversations')
        .values({ persona_id: conversation.personaId, persona_version_id: conversation.personaVersionId, consumer_id: conversation.consumerId })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (greeting.trim()) {
        await trx.insertInto('messages').values({ conversation_id: inserted.id, role: 'assistant', content: greeting }).execute();
      }
      return inserted.id;
    });
  }

  /**
   * A new conversation holding `history` in order; with `conversationId`, nothing is written when a conversation
   * with that id exists already (`created: false`).
   */
  async createWithHistory(
    conversation: NewConversation,
    history: readonly { role: 'user' | 'assistant'; content: string }[],
    conversationId?: string,
  ): Promise<{ id: string; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('conversations')
        .values({
          ...(conversationId ? { id: conversationId } : {}),
          persona_id: conversation.personaId,
          persona_version_id: conversation.personaVersionId,
          consumer_id: conversation.consumerId,
        })
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
  }

  async findOwned(conversationId: string, consumerId: string): Promise<ConversationView | undefined> {
    const row = await this.viewQuery().where('conversations.id', '=', conversationId).where('conversations.consumer_id', '=', consumerId).executeTakeFirst();
    return row ? toConversationView(row) : undefined;
  }

  /** The consumer's conversations by last activity, newest first. */
  async listOwned(consumerId: string, options: { limit: number; cursor?: string }): Promise<Page<ConversationView>> {
    let query = this.viewQuery()
      .where('conversations.consumer_id', '=', consumerId)
      .orderBy('conversations.last_message_at', 'desc')
      .orderBy('conversations.id', 'desc')
      .limit(options.limit + 1);
    if (options.cursor) query = query.where(beforeTimeAndId('conversations.last_message_at', 'conversations.id', options.cursor));
    const rows = await query.execute();
    return keysetPage(rows, options.limit, (row) => [row.last_message_at_text, row.id], toConversationView);
  }

  async setPersonaVersion(conversationId: string, personaVersionId: string): Promise<void> {
    await this.db.updateTable('conversations').set({ persona_version_id: personaVersionId }).where('id', '=', conversationId).execute();
  }

  /** Deletes the consumer's conversation (messages, turns, receipts and memories cascade); false when not theirs. */
  async deleteOwned(conversationId: string, consumerId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('conversations').where('id', '=', conversationId).where('consumer_id', '=', consumerId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async messageIn(conversationId: string, messageId: string): Promise<{ id: string; role: 'user' | 'assistant'; reply_to: string | null; state: MessageState } | undefined> {
    return this.db
      .selectFrom('messages')
      .select(['id', 'role', 'reply_to', 'state'])
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
  }

  /** The latest `limit` shown messages before the cursor, oldest first; nextCursor pages further back. */
  async listShownMessages(conversationId: string, options: { limit: number; before?: string }): Promise<Page<MessageView>> {
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
        sql<number>`CASE WHEN reply_to IS NULL THEN 1 ELSE ${replyCountOf(sql.ref('messages.reply_to'))} END`.as('alternatives'),
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

  /** Every reply to the user message `replyTo` that is not superseded, oldest first. */
  async alternativesOf(replyTo: string): Promise<AlternativeView[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['id', 'content', 'turn_id', 'state', 'created_at'])
      .where('reply_to', '=', replyTo)
      .where('state', '<>', 'superseded')
      .orderBy('position')
      .execute();
    return rows.map((row) => ({ id: row.id, content: row.content, turnId: row.turn_id, chosen: row.state === 'shown', createdAt: row.created_at }));
  }

  /** turn:done's `alternatives`, for the live event (TurnRunner) and the one rebuilt from storage (TurnLookup). */
  async replyCount(userMessageId: string): Promise<number> {
    const { rows } = await sql<{ replies: number }>`SELECT ${replyCountOf(userMessageId)} AS replies`.execute(this.db);
    return rows[0]!.replies;
  }

  /** A stored message's text, for a turn:done rebuilt from storage. */
  async storedReply(messageId: string): Promise<{ id: string; content: string }> {
    return this.db.selectFrom('messages').select(['id', 'content']).where('id', '=', messageId).executeTakeFirstOrThrow();
  }

  /** Shows `messageId` and hides its siblings, moving their memories out of the context and its own in, in one transaction. */
  async chooseAlternative(replyTo: string, messageId: string): Promise<void> {
    await this.db.transaction().execute((trx) => showReply(trx, replyTo, messageId));
  }

  /** Rating again replaces the earlier score. */
  async rate(rating: { messageId: string; consumerId: string; personaId: string; score: number }): Promise<void> {
    await this.db
      .insertInto('message_ratings')
      .values({ message_id: rating.messageId, consumer_id: rating.consumerId, persona_id: rating.personaId, score: rating.score })
      .onConflict((conflict) => conflict.column('message_id').doUpdateSet({ score: rating.score }))
      .execute();
  }

  /** How many of the persona's replies got each score. */
  async ratingCounts(personaId: string): Promise<{ score: number; count: number }[]> {
    const rows = await this.db
      .selectFrom('message_ratings')
      .select(['score', sql<string>`count(*)::text`.as('count')])
      .where('persona_id', '=', personaId)
      .groupBy('score')
      .execute();
    return rows.map((row) => ({ score: row.score, count: Number(row.count) }));
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

/** Replies to the user message `replyTo` still in the conversation (shown or alternative; superseded ones are not). */
function replyCountOf(replyTo: string | RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(SELECT count(*)::int FROM messages AS reply WHERE reply.reply_to = ${replyTo} AND reply.state <> 'superseded')`;
}
