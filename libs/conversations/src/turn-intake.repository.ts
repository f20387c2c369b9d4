// The gateway's writes of a new turn: its user message and its `turns` row. A new message is one statement (no
// transaction round trips, no lookup first); a resend is recognised by the unique violation it causes.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { DATABASE, prebuiltQuery, type Database } from '@doppel/db';
import { personaJson, personaText, type SharesGate } from '@doppel/personas';
import type { VerificationLevel } from '@doppel/verification';
import { supersedeExchange } from './message-states';

export interface ConversationForTurn {
  persona_id: string;
  persona_version_id: string;
  status: string;
  model_id: string;
  min_verification: VerificationLevel | null;
  /** The small models the persona's version proves at level zk (null: none). */
  attached_models: string[] | null;
  /** Who may use the persona, from its current version (a gate added later also closes older conversations). */
  owner_id: string;
  visibility: string;
  persona_name: string;
  shares_gate: SharesGate | null;
}

export interface NewTurn {
  turnId: string;
  conversationId: string;
  consumerId: string;
  personaVersionId: string;
  clientTurnId: string;
  kind: 'send' | 'regenerate' | 'edit';
  modelId: string;
  verification: VerificationLevel;
}

export interface StoredTurnRef {
  id: string;
  conversation_id: string;
  status: string;
  model_id: string | null;
  verification_level: VerificationLevel;
}

/** The conversation already has this clientTurnId, or a turn in flight: the caller decides which from the row. */
export class TurnConflict extends Error {}

const TURN_CONFLICTS = new Set(['turns_conversation_id_client_turn_id_key', 'turns_one_in_flight']);

function asTurnConflict(error: unknown): never {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === '23505' && constraint && TURN_CONFLICTS.has(constraint)) throw new TurnConflict(constraint);
  throw error;
}

@Injectable()
export class TurnIntakeRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /**
   * What a new turn needs to know of the consumer's conversation, in one read: its version, model and minimum level,
   * and the persona's access rule (owner, visibility, status, share gate of the current version).
   */
  async conversationForTurn(conversationId: string, consumerId: string): Promise<ConversationForTurn | undefined> {
    const [row] = await this.readConversationForTurn(this.db, conversationId, consumerId);
    return row;
  }

  private readonly readConversationForTurn = prebuiltQuery((conversationId: string, consumerId: string) =>
    this.db
      .selectFrom('conversations')
      .innerJoin('personas', 'personas.id', 'conversations.persona_id')
      .innerJoin('persona_versions', 'persona_versions.id', 'conversations.persona_version_id')
      .innerJoin('persona_versions as current', 'current.id', 'personas.current_version_id')
      .select([
        'conversations.persona_id',
        'conversations.persona_version_id',
        'personas.status',
        'personas.owner_id',
        'personas.visibility',
        personaText('defaultModel').as('model_id'),
        personaText<VerificationLevel | null>('minVerification').as('min_verification'),
        personaJson<string[] | null>('attachedModels').as('attached_models'),
        personaText('name', 'current').as('persona_name'),
        personaJson<SharesGate | null>('sharesGate', 'current').as('shares_gate'),
      ])
      .where('conversations.id', '=', conversationId)
      .where('conversations.consumer_id', '=', consumerId),
  );

  /** A new user message and the turn that answers it, and the conversation's last activity, in one statement. */
  async insertMessageAndTurn(turn: NewTurn, text: string): Promise<void> {
    await sql`
      WITH message AS (
        INSERT INTO messages (conversation_id, role, content, turn_id)
        VALUES (${turn.conversationId}, 'user', ${text}, ${turn.turnId})
        RETURNING id
      ), turn AS (
        INSERT INTO turns (id, conversation_id, consumer_id, persona_version_id, client_turn_id, user_message_id, kind, model_id, verification_level)
        SELECT ${turn.turnId}, ${turn.conversationId}, ${turn.consumerId}, ${turn.personaVersionId}, ${turn.clientTurnId},
               message.id, ${turn.kind}, ${turn.modelId}, ${turn.verification}
        FROM message
      )
      UPDATE conversations SET last_message_at = now() WHERE id = ${turn.conversationId}`
      .execute(this.db)
      .catch(asTurnConflict);
  }

  /**
   * A turn answering the conversation's last shown user message (regenerate), or replacing its text first (edit:
   * only when `edit.messageId` is that message; its replies are superseded and every memory of the old exchange is
   * deleted), in one transaction. Nothing is written when there is no such message: `stored` is false and
   * `lastMessageId` says which message is last (null when none).
   */
  async insertTurnForLastMessage(turn: NewTurn, edit?: { messageId: string; text: string }): Promise<{ stored: boolean; lastMessageId: string | null }> {
    return this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', turn.conversationId)
        .where('role', '=', 'user')
        .where('state', '=', 'shown')
        .orderBy('position', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!last || (edit && last.id !== edit.messageId)) return { stored: false, lastMessageId: last?.id ?? null };
      if (edit) await this.replaceText(trx, last.id, edit.text);
      await this.insertTurn(trx, turn, last.id);
      return { stored: true, lastMessageId: last.id };
    });
  }

  /** The message's new text; replies to the old one no longer answer anything (message-states.ts). */
  private async replaceText(trx: Transaction<Database>, messageId: string, text: string): Promise<void> {
    await trx.updateTable('messages').set({ content: text, edited_at: sql<Date>`now()` }).where('id', '=', messageId).execute();
    await supersedeExchange(trx, messageId);
  }

  private async insertTurn(trx: Transaction<Database>, turn: NewTurn, userMessageId: string): Promise<void> {
    await trx
      .insertInto('turns')
      .values({
        id: turn.turnId,
        conversation_id: turn.conversationId,
        consumer_id: turn.consumerId,
        persona_version_id: turn.personaVersionId,
        client_turn_id: turn.clientTurnId,
        user_message_id: userMessageId,
        kind: turn.kind,
        model_id: turn.modelId,
        verification_level: turn.verification,
      })
      .execute()
      .catch(asTurnConflict);
    await trx.updateTable('conversations').set({ last_message_at: sql<Date>`now()` }).where('id', '=', turn.conversationId).execute();
  }

  async findByClientTurnId(conversationId: string, consumerId: string, clientTurnId: string): Promise<StoredTurnRef | undefined> {
    return this.db
      .selectFrom('turns')
      .select(['id', 'conversation_id', 'status', 'model_id', 'verification_level'])
      .where('conversation_id', '=', conversationId)
      .where('consumer_id', '=', consumerId)
      .where('client_turn_id', '=', clientTurnId)
      .executeTakeFirst();
  }

  /** A turn whose job could not be queued fails at once (the consumer is told to retry). */
  async failUnqueued(turnId: string, code: string): Promise<void> {
    await this.db
      .updateTable('turns')
      .set({ status: 'failed', error_code: code, error_message: 'queue unavailable', finished_at: sql<Date>`now()` })
      .where('id', '=', turnId)
      .where('status', '=', 'queued')
      .execute();
  }
}
