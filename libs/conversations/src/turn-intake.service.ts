// Gateway side of a turn: check the conversation, store the user's message and the turn row (one statement), then
// queue the job.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { isUuid } from '@doppel/db';
import { DoppelError, ErrorCode, type TurnEditPayload, type TurnRegeneratePayload, type TurnSendPayload } from '@doppel/protocol';
import type { SharesGate } from '@doppel/personas';
import { LiveNodesCache, NodeAttestationsRepository, NodeRegistry } from '@doppel/nodes';
import { JOB_OPTIONS, JobName, ProducerQueues, turnJobId, turnQueueName } from '@doppel/queue';
import { levelsOf, strictestLevel, UnknownLevelError, type Level, type VerificationLevel } from '@doppel/verification';
import { conversationNotFound } from './conversations.service';
import { TurnConflict, TurnIntakeRepository, type NewTurn, type StoredTurnRef } from './turn-intake.repository';

/** A wire payload with the proof it asks for as the canonical label (the gateway's labelOfSpec). */
type Labelled<Payload> = Omit<Payload, 'verification'> & { verification?: VerificationLevel };

/**
 * The payload of turn:send, turn:regenerate or turn:edit (@doppel/protocol), however it came (socket, REST, OpenAI).
 * send: a new user message. regenerate: another reply to the last user message (kept as an alternative).
 * edit: replace the text of the consumer's last message and answer it again (earlier replies are superseded).
 */
export type TurnRequest =
  | (Labelled<TurnSendPayload> & { kind?: 'send' })
  | (Labelled<TurnRegeneratePayload> & { kind: 'regenerate' })
  | (Labelled<TurnEditPayload> & { kind: 'edit' });

/** Who may use a conversation's persona, as the intake read it with the conversation (no second query). */
export interface PersonaAccessRule {
  personaId: string;
  ownerId: string;
  visibility: string;
  status: string;
  name: string;
  sharesGate: SharesGate | null;
}

/** Decides whether the consumer may use the persona; throws the refusal. Runs before anything is stored. */
export type AuthorizePersona = (rule: PersonaAccessRule) => Promise<void>;

export interface AcceptedTurn {
  turnId: string;
  conversationId: string;
  /** The level this turn will carry: the stricter of the request and the persona's minimum. */
  verification: VerificationLevel;
  /** True when this clientTurnId was already accepted: nothing new was stored or queued. */
  duplicate: boolean;
  /** The chat model that will write the reply. */
  modelId: string;
}

@Injectable()
export class TurnIntakeService {
  private readonly logger = new Logger(TurnIntakeService.name);

  private readonly liveNodes: LiveNodesCache;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: TurnIntakeRepository,
    registry: NodeRegistry,
    private readonly queues: ProducerQueues,
    private readonly attestations: NodeAttestationsRepository,
  ) {
    this.liveNodes = new LiveNodesCache(registry);
  }

  async accept(consumerId: string, request: TurnRequest, authorize?: AuthorizePersona): Promise<AcceptedTurn> {
    if (request.kind !== 'regenerate') this.assertTextAcceptable(request.text);
    if (!isUuid(request.conversationId)) throw conversationNotFound(request.conversationId);

    const conversation = await this.repository.conversationForTurn(request.conversationId, consumerId);
    if (!conversation) throw conversationNotFound(request.conversationId);
    await authorize?.({
      personaId: conversation.persona_id,
      ownerId: conversation.owner_id,
      visibility: conversation.visibility,
      status: conversation.status,
      name: conversation.persona_name,
      sharesGate: conversation.shares_gate,
    });
    if (conversation.status === 'archived') {
      throw new DoppelError(ErrorCode.PersonaArchived, 'This persona has been archived and no longer replies.');
    }
    const verification = this.levelFor(request.verification, conversation.min_verification);
    const turn: NewTurn = {
      turnId: randomUUID(),
      conversationId: request.conversationId,
      consumerId,
      personaVersionId: conversation.persona_version_id,
      clientTurnId: request.clientTurnId,
      kind: request.kind ?? 'send',
      modelId: conversation.model_id,
      verification,
    };
    try {
      await this.assertModelServed(conversation.model_id);
      await this.assertLevelsAvailable(conversation.model_id, levelsOf(verification), conversation.attached_models ?? []);
      if (request.kind === undefined || request.kind === 'send') {
        await this.repository.insertMessageAndTurn(turn, request.text);
      } else {
        const edit = request.kind === 'edit' ? { messageId: request.messageId, text: request.text } : undefined;
        const { stored, lastMessageId } = await this.repository.insertTurnForLastMessage(turn, edit);
        if (!stored) throw this.lastMessageRefusal(request, lastMessageId);
      }
    } catch (error) {
      if (!(error instanceof TurnConflict) && !(error instanceof DoppelError)) throw error;
      // A resend of an accepted turn answers with that turn, whatever else refused this one.
      const earlier = await this.repository.findByClientTurnId(request.conversationId, consumerId, request.clientTurnId);
      if (earlier) return this.resumeDuplicate(earlier);
      if (error instanceof TurnConflict) {
        throw new DoppelError(ErrorCode.TurnInProgress, 'This conversation already has a turn in progress; wait for its turn:done or turn:error.', {
          retryAfterSeconds: 1,
        });
      }
      throw error;
    }

    await this.enqueue(turn.turnId, request.conversationId, turn.modelId, request.kind === 'regenerate' ? undefined : request.text);
    return { turnId: turn.turnId, conversationId: request.conversationId, verification, duplicate: false, modelId: turn.modelId };
  }

  /** Why a regenerate or an edit found no message to answer: none of the consumer's, or not the last one. */
  private lastMessageRefusal(request: TurnRequest, lastMessageId: string | null): DoppelError {
    if (request.kind === 'regenerate') {
      return new DoppelError(ErrorCode.NothingToRegenerate, 'This conversation has no message of yours to answer again; send one first.');
    }
    return new DoppelError(ErrorCode.MessageNotEditable, `Only your last message can be edited${lastMessageId ? ` (${lastMessageId})` : ''}; send a new message instead.`, {
      lastMessageId,
    });
  }

  private assertTextAcceptable(text: string): void {
    if (text.trim().length === 0) throw new DoppelError(ErrorCode.MessageEmpty, 'The message is empty; send some text.');
    if (text.includes('\u0000')) throw new DoppelError(ErrorCode.ValidationFailed, 'The message contains a NUL character (U+0000), which cannot be stored.');
    const limit = this.config.gateway.maxMessageChars;
    if (text.length > limit) {
      throw new DoppelError(ErrorCode.MessageTooLong, `The message has ${text.length} characters; the limit is ${limit}.`, { limit });
    }
  }

  /** The union of the request and the persona's minimum (sets since issue 17); an unknown name is a 400, not a quiet drop. */
  private levelFor(requested: VerificationLevel | undefined, personaMinimum: VerificationLevel | null): VerificationLevel {
    try {
      return strictestLevel(requested, personaMinimum ?? 'none');
    } catch (error) {
      if (error instanceof UnknownLevelError) throw new DoppelError(ErrorCode.ValidationFailed, error.message, { field: 'verification' });
      throw error;
    }
  }

  /** Fails fast, before anything is stored, when no live node serves the persona's model. */
  private async assertModelServed(modelId: string): Promise<void> {
    const nodes = await this.liveNodes.servingChatModel(modelId);
    if (nodes.length === 0) {
      throw new DoppelError(
        ErrorCode.ModelUnavailable,
        `No inference node serves model ${modelId} right now; start a worker with CHAT_MODELS including it, or pick another model for the persona.`,
        { modelId },
      );
    }
  }

  /**
   * Every level of the set must be possible right now, or the turn is refused before anything is stored: a level
   * is never quietly dropped. One check per level; a level without one here cannot be served.
   */
  private async assertLevelsAvailable(modelId: string, levels: Level[], attachedModels: readonly string[]): Promise<void> {
    for (const level of levels) {
      switch (level) {
        case 'signed':
          break;
        case 'reexec': {
          const withModel = new Set((await this.liveNodes.withChatModel(modelId, { fresh: true })).map((node) => node.address)).size;
          if (withModel < 2) {
            throw new DoppelError(
              ErrorCode.VerificationUnavailable,
              `Re-execution needs two live nodes with ${modelId}; ${withModel} ${withModel === 1 ? 'is' : 'are'} up. Ask for "signed" instead, or start another worker.`,
              { modelId, level, liveNodes: withModel },
            );
          }
          break;
        }
        case 'tee': {
          const live = new Set((await this.liveNodes.servingChatModel(modelId)).map((node) => node.address.toLowerCase()));
          const boundAfter = new Date(Date.now() - this.config.verification.teeAttestationMaxAgeMs);
          const attested = (await this.attestations.attestedFor(modelId, boundAfter)).filter((address) => live.has(address));
          if (attested.length === 0) {
            throw new DoppelError(
              ErrorCode.VerificationUnavailable,
              `Level tee needs a live node serving ${modelId} whose signing key is bound, within the last ${Math.round(this.config.verification.teeAttestationMaxAgeMs / 60_000)} min, by a TEE attestation of a measurement approved for this model; there is none (a node without TEE hardware never has one).`,
              { modelId, level, attestedNodes: 0 },
            );
          }
          break;
        }
        case 'zk': {
          if (attachedModels.length === 0) {
            throw new DoppelError(
              ErrorCode.VerificationUnavailable,
              "Level zk proves the persona's attached small models, and this persona has none (attachedModels); ask for another level, or attach one in the persona.",
              { modelId, level },
            );
          }
          const provers = (await this.liveNodes.servingChatModel(modelId)).filter((node) => node.zkProver === true);
          if (provers.length === 0) {
            throw new DoppelError(
              ErrorCode.VerificationUnavailable,
              `Level zk needs a live node serving ${modelId} with the optional zk prover installed (apps/zk-prover); there is none.`,
              { modelId, level, proverNodes: 0 },
            );
          }
          break;
        }
        default:
          throw new DoppelError(ErrorCode.VerificationUnavailable, `Level ${level} cannot be served by this deployment yet.`, { modelId, level });
      }
    }
  }

  private async resumeDuplicate(turn: StoredTurnRef): Promise<AcceptedTurn> {
    // Queueing is idempotent by job id, so a turn whose first enqueue failed gets a second chance here.
    if (turn.status === 'queued' && turn.model_id) await this.enqueue(turn.id, turn.conversation_id, turn.model_id);
    return { turnId: turn.id, conversationId: turn.conversation_id, verification: turn.verification_level, duplicate: true, modelId: turn.model_id ?? '' };
  }

  private async enqueue(turnId: string, conversationId: string, modelId: string, text?: string): Promise<void> {
    try {
      await this.queues.get<JobName.Turn>(turnQueueName(modelId)).add(
        JobName.Turn,
        text === undefined ? { turnId, conversationId } : { turnId, conversationId, text },
        { ...JOB_OPTIONS[JobName.Turn], jobId: turnJobId(turnId), attempts: this.config.turns.jobAttempts },
      );
    } catch (error) {
      this.logger.error(`could not queue turn ${turnId}: ${(error as Error).message}`);
      await this.repository.failUnqueued(turnId, ErrorCode.QueueUnavailable);
      throw new DoppelError(ErrorCode.QueueUnavailable, 'The turn queue is unavailable right now; try again in a few seconds.');
    }
  }
}
