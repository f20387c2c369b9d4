// Gateway side of a turn: store the user's message and the turn row in one transaction, then queue the job.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { sql, type Kysely, type Transaction } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DATABASE, isUuid, type Database } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { LiveNodesCache, NodeRegistry } from '@doppel/nodes';
import { JobName, ProducerQueues, turnJobId, turnQueueName } from '@doppel/queue';
import { REDIS } from '@doppel/redis';
import { strictestLevel, requirementsOf, type VerificationLevel } from '@doppel/verification';
import { conversationNotFound } from './conversations.service';

interface TurnRequestBase {
  conversationId: string;
  /** Chosen by the client; the same id again returns the same turn instead of a second one. */
  clientTurnId: string;
  verification?: VerificationLevel;
}

/**
 * send: a new user message. regenerate: another reply to the last user message (kept as an alternative).
 * edit: replace the text of the consumer's last message and answer it again (earlier replies are superseded).
 */
export type TurnRequest = TurnRequestBase &
  ({ kind?: 'send'; text: string } | { kind: 'regenerate' } | { kind: 'edit'; messageId: string; text: string });

export interface AcceptedTurn {
  turnId: string;
  conversationId: string;
  /** The level this turn will carry: the stricter of the request and the persona's minimum. */
  verification: VerificationLevel;
  /** True when this clientTurnId was already accepted: nothing new was stored or queued. */
  duplicate: boolean;
}

class DuplicateTurn extends Error {}

@Injectable()
export class TurnIntakeService {
  private readonly logger = new Logger(TurnIntakeService.name);

  private readonly liveNodes: LiveNodesCache;

  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis,
    private readonly queues: ProducerQueues,
  ) {
    this.liveNodes = new LiveNodesCache(new NodeRegistry(redis, config.redis.prefix, config.worker.heartbeatTtlMs));
  }

  async accept(consumerId: string, request: TurnRequest): Promise<AcceptedTurn> {
    if (request.kind !== 'regenerate') this.assertTextAcceptable(request.text);
    if (!isUuid(request.conversationId)) throw conversationNotFound(request.conversationId);

    const existing = await this.findByClientTurnId(request.conversationId, consumerId, request.clientTurnId);
    if (existing) return this.resumeDuplicate(existing);

    let accepted: { turnId: string; modelId: string; verification: VerificationLevel };
    try {
      accepted = await this.db.transaction().execute(async (trx) => {
        const conversation = await trx
          .selectFrom('conversations')
          .innerJoin('personas', 'personas.id', 'conversations.persona_id')
          .innerJoin('persona_versions', 'persona_versions.id', 'conversations.persona_version_id')
          .select([
            'conversations.persona_version_id',
            'personas.status',
            sql<string>`persona_versions.definition->>'defaultModel'`.as('model_id'),
            sql<VerificationLevel | null>`persona_versions.definition->>'minVerification'`.as('min_verification'),
          ])
          .where('conversations.id', '=', request.conversationId)
          .where('conversations.consumer_id', '=', consumerId)
          .executeTakeFirst();
        if (!conversation) throw conversationNotFound(request.conversationId);
        if (conversation.status === 'archived') {
          throw new DoppelError(ErrorCode.PersonaArchived, 'This persona has been archived and no longer replies.');
        }
        const verification = strictestLevel(request.verification, conversation.min_verification ?? 'none');
        await this.assertModelServed(conversation.model_id, requirementsOf(verification).reexec);
        const newTurnId = randomUUID();
        const userMessageId = await this.userMessageFor(trx, request, newTurnId);
        const inserted = await trx
          .insertInto('turns')
          .values({
            id: newTurnId,
            conversation_id: request.conversationId,
            consumer_id: consumerId,
            persona_version_id: conversation.persona_version_id,
            client_turn_id: request.clientTurnId,
            user_message_id: userMessageId,
            kind: request.kind ?? 'send',
            model_id: conversation.model_id,
            verification_level: verification,
          })
          .onConflict((conflict) => conflict.columns(['conversation_id', 'client_turn_id']).doNothing())
          .returning('id')
          .executeTakeFirst();
        // A concurrent resend won the race: roll back our message and answer with its turn.
        if (!inserted) throw new DuplicateTurn();
        await trx.updateTable('conversations').set({ last_message_at: sql<Date>`now()` }).where('id', '=', request.conversationId).execute();
        return { turnId: newTurnId, modelId: conversation.model_id, verification };
      });
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'turns_one_in_flight') {
        throw new DoppelError(ErrorCode.TurnInProgress, 'This conversation already has a turn in progress; wait for its turn:done or turn:error.', {
          retryAfterSeconds: 1,
        });
      }
      if (!(error instanceof DuplicateTurn)) throw error;
      const winner = await this.findByClientTurnId(request.conversationId, consumerId, request.clientTurnId);
      if (!winner) throw error;
      return this.resumeDuplicate(winner);
    }

    await this.enqueue(accepted.turnId, request.conversationId, accepted.modelId);
    return { turnId: accepted.turnId, conversationId: request.conversationId, verification: accepted.verification, duplicate: false };
  }

  /** The user message the new turn answers: a new one (send), or the conversation's last one (regenerate, edit). */
  private async userMessageFor(trx: Transaction<Database>, request: TurnRequest, newTurnId: string): Promise<string> {
    if (request.kind === undefined || request.kind === 'send') {
      const message = await trx
        .insertInto('messages')
        .values({ conversation_id: request.conversationId, role: 'user', content: request.text, turn_id: newTurnId })
        .returning('id')
        .executeTakeFirstOrThrow();
      return message.id;
    }
    const last = await trx
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', request.conversationId)
      .where('role', '=', 'user')
      .where('state', '=', 'shown')
      .orderBy('position', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (request.kind === 'regenerate') {
      if (!last) throw new DoppelError(ErrorCode.NothingToRegenerate, 'This conversation has no message of yours to answer again; send one first.');
      return last.id;
    }
    if (request.kind !== 'edit') throw new Error(`unknown turn kind ${String(request.kind)}`);
    if (!last || last.id !== request.messageId) {
      throw new DoppelError(ErrorCode.MessageNotEditable, `Only your last message can be edited${last ? ` (${last.id})` : ''}; send a new message instead.`, {
        lastMessageId: last?.id ?? null,
      });
    }
    await trx.updateTable('messages').set({ content: request.text, edited_at: sql<Date>`now()` }).where('id', '=', last.id).execute();
    // Replies to the old text no longer answer anything: hidden, and what was remembered from them goes too.
    const superseded = await trx
      .updateTable('messages')
      .set({ state: 'superseded' })
      .where('reply_to', '=', last.id)
      .where('state', '<>', 'superseded')
      .returning('id')
      .execute();
    await trx
      .deleteFrom('memories')
      .where('source_message_id', 'in', [last.id, ...superseded.map((row) => row.id)])
      .execute();
    return last.id;
  }

  private assertTextAcceptable(text: string): void {
    if (text.trim().length === 0) throw new DoppelError(ErrorCode.MessageEmpty, 'The message is empty; send some text.');
    if (text.includes('\u0000')) throw new DoppelError(ErrorCode.ValidationFailed, 'The message contains a NUL character (U+0000), which cannot be stored.');
    const limit = this.config.gateway.maxMessageChars;
    if (text.length > limit) {
      throw new DoppelError(ErrorCode.MessageTooLong, `The message has ${text.length} characters; the limit is ${limit}.`, { limit });
    }
  }

  private async findByClientTurnId(conversationId: string, consumerId: string, clientTurnId: string) {
    return this.db
      .selectFrom('turns')
      .select(['id', 'conversation_id', 'status', 'model_id', 'verification_level'])
      .where('conversation_id', '=', conversationId)
      .where('consumer_id', '=', consumerId)
      .where('client_turn_id', '=', clientTurnId)
      .executeTakeFirst();
  }

  /**
   * Fails fast, before anything is stored, when no live node serves the persona's model, or when re-execution is
   * required and fewer than two distinct nodes serve it: a level is never quietly lowered.
   */
  private async assertModelServed(modelId: string, needsSecondNode: boolean): Promise<void> {
    const nodes = await this.liveNodes.servingChatModel(modelId);
    if (needsSecondNode) {
      const withModel = new Set((await this.liveNodes.withChatModel(modelId, { fresh: true })).map((node) => node.address)).size;
      if (withModel < 2) {
        throw new DoppelError(
          ErrorCode.VerificationUnavailable,
          `Re-execution needs two live nodes with ${modelId}; ${withModel} ${withModel === 1 ? 'is' : 'are'} up. Ask for "signed" instead, or start another worker.`,
          { modelId, liveNodes: withModel },
        );
      }
    }
    if (nodes.length === 0) {
      throw new DoppelError(
        ErrorCode.ModelUnavailable,
        `No inference node serves model ${modelId} right now; start a worker with CHAT_MODELS including it, or pick another model for the persona.`,
        { modelId },
      );
    }
  }

  private async resumeDuplicate(turn: {
    id: string;
    conversation_id: string;
    status: string;
    model_id: string | null;
    verification_level: VerificationLevel;
  }): Promise<AcceptedTurn> {
    // Queueing is idempotent by job id, so a turn whose first enqueue failed gets a second chance here.
    if (turn.status === 'queued' && turn.model_id) await this.enqueue(turn.id, turn.conversation_id, turn.model_id);
    return { turnId: turn.id, conversationId: turn.conversation_id, verification: turn.verification_level, duplicate: true };
  }

  private async enqueue(turnId: string, conversationId: string, modelId: string): Promise<void> {
    try {
      await this.queues.get<JobName.Turn>(turnQueueName(modelId)).add(
        JobName.Turn,
        { turnId, conversationId },
        {
          jobId: turnJobId(turnId),
          attempts: this.config.turns.jobAttempts,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 24 * 3600 },
        },
      );
    } catch (error) {
      this.logger.error(`could not queue turn ${turnId}: ${(error as Error).message}`);
      await this.db
        .updateTable('turns')
        .set({ status: 'failed', error_code: ErrorCode.QueueUnavailable, error_message: 'queue unavailable', finished_at: sql<Date>`now()` })
        .where('id', '=', turnId)
        .where('status', '=', 'queued')
        .execute();
      throw new DoppelError(ErrorCode.QueueUnavailable, 'The turn queue is unavailable right now; try again in a few seconds.');
    }
  }
}
