// The OpenAI-style request turned into an ordinary Doppel turn: the same admission (capacity, rate limit), intake
// (idempotency, verification level, queue), stream and stored record as a socket's turn:send.
import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConversationsService } from '@doppel/conversations';
import { isUuid } from '@doppel/db';
import { PersonasService, type PersonaView } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { TurnStreamEvent } from '@doppel/streaming';
import { TurnLookup } from '@doppel/turns';
import { LEVEL_NAMES, verificationLevelSchema, type VerificationLevel } from '@doppel/verification';
import { TurnAdmission } from '../chat/turn-admission.service';
import { TurnRelayService } from '../chat/turn-relay.service';
import { unsupportedParameter, type ChatCompletionRequest, type ChatMessage } from './chat-completion-request';

export interface OpenAiTurn {
  turnId: string;
  conversationId: string;
  verification: VerificationLevel;
  duplicate: boolean;
}

export interface TurnHeaders {
  idempotencyKey?: string;
  verification?: string;
}

const MODEL_PREFIX = 'persona:';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;

const invalid = (param: string, message: string) => new DoppelError(ErrorCode.ValidationFailed, message, { param });

@Injectable()
export class OpenAiTurns {
  constructor(
    private readonly personas: PersonasService,
    private readonly conversations: ConversationsService,
    private readonly admission: TurnAdmission,
    private readonly relay: TurnRelayService,
    private readonly turns: TurnLookup,
  ) {}

  /**
   * `model` is the persona. Without `conversation_id` the request's earlier messages become a new conversation's
   * history and the last (a user message) is the turn; with it, the stored conversation is the history (with its
   * memory) and only the last message is new.
   */
  async start(accountId: string, request: ChatCompletionRequest, headers: TurnHeaders): Promise<OpenAiTurn> {
    const unsupported = unsupportedParameter(request);
    if (unsupported) throw invalid(unsupported.param, unsupported.message);
    const verification = this.levelOf(request, headers);
    const clientTurnId = this.clientTurnIdOf(headers);
    const { history, text } = splitMessages(request.messages);
    const persona = await this.personaOf(request.model, accountId);

    let created: string | null = null;
    const build = async () => {
      const conversationId = request.conversation_id
        ? await this.continued(request.conversation_id, persona, accountId)
        : await this.opened(persona, accountId, history, headers.idempotencyKey).then((opened) => {
            if (opened.created) created = opened.conversationId;
            return opened.conversationId;
          });
      return { kind: 'send' as const, conversationId, text, clientTurnId, verification };
    };
    try {
      const accepted = await this.admission.accept(accountId, build);
      return { turnId: accepted.turnId, conversationId: accepted.conversationId, verification: accepted.verification, duplicate: accepted.duplicate };
    } catch (error) {
      // The turn was refused after its conversation was made for it (the level cannot be met, no node serves the
      // model…): the conversation goes too, so a refusal leaves nothing behind.
      if (created) await this.conversations.delete(created, accountId).catch(() => {});
      throw error;
    }
  }

  /**
   * The turn's events from its first: live from its stream, or, for a turn accepted earlier whose stream has
   * expired, its stored outcome. Returns the function that stops following (the turn itself goes on).
   */
  async follow(turn: OpenAiTurn, accountId: string, onEvent: (event: TurnStreamEvent) => void): Promise<() => void> {
    if (turn.duplicate && !(await this.relay.streamExists(turn.turnId))) {
      const stored = await this.turns.findOwned(turn.turnId, accountId);
      if (stored?.status === 'done' || stored?.status === 'failed') {
        const final = await this.turns.finalEvent(turn.turnId);
        const event: TurnStreamEvent =
          final.type === 'done' ? { type: 'done', ...withoutTurnId(final.event) } : { type: 'error', code: final.event.code, message: final.event.message };
        setImmediate(() => onEvent(event));
        return () => {};
      }
    }
    return this.relay.follow(turn.turnId, onEvent);
  }

  /** The personas this account can chat with: its own and the public ones. */
  async models(accountId: string, limit: number): Promise<PersonaView[]> {
    const personas: PersonaView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.personas.list(accountId, { limit: Math.min(100, limit - personas.length), cursor });
      personas.push(...page.items.filter((persona) => persona.status === 'active'));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && personas.length < limit);
    return personas;
  }

  async model(modelName: string, accountId: string): Promise<PersonaView> {
    return this.personaOf(modelName, accountId);
  }

  private async personaOf(modelName: string, accountId: string): Promise<PersonaView> {
    const personaId = modelName.startsWith(MODEL_PREFIX) ? modelName.slice(MODEL_PREFIX.length) : modelName;
    const notFound = new DoppelError(
      ErrorCode.ModelNotFound,
      `The model ${JSON.stringify(modelName)} does not exist or you do not have access to it. Models here are personas: send a persona id or persona:<id> (GET /v1/models lists yours).`,
      { param: 'model' },
    );
    if (!isUuid(personaId)) throw notFound;
    try {
      return await this.personas.getVisible(personaId, accountId);
    } catch (error) {
      if (error instanceof DoppelError && error.code === ErrorCode.PersonaNotFound) throw notFound;
      throw error;
    }
  }

  private async continued(conversationId: string, persona: PersonaView, accountId: string): Promise<string> {
    const conversation = await this.conversations.getOwned(conversationId, accountId).catch((error: unknown) => {
      if (error instanceof DoppelError) throw new DoppelError(error.code, error.message, { param: 'conversation_id' });
      throw error;
    });
    if (conversation.personaId !== persona.id) {
      throw invalid('model', `Conversation ${conversationId} is with persona ${conversation.personaId}; send that persona as the model.`);
    }
    return conversation.id;
  }

  /**
   * A new conversation holding the earlier messages. With an Idempotency-Key its id derives from the account and
   * the key, so a resend (or a race of two) lands in the same conversation, where the intake recognises the turn.
   */
  private async opened(persona: PersonaView, accountId: string, history: HistoryMessage[], idempotencyKey: string | undefined): Promise<{ conversationId: string; created: boolean }> {
    const derivedId = idempotencyKey ? uuidFromKey(accountId, idempotencyKey) : undefined;
    const { conversation, created } = await this.conversations.createFromHistory(accountId, persona.id, history, derivedId);
    if (conversation.personaId !== persona.id) {
      throw invalid('model', `This Idempotency-Key was first used with persona ${conversation.personaId}; use a new key for another model.`);
    }
    return { conversationId: conversation.id, created };
  }

  private levelOf(request: ChatCompletionRequest, headers: TurnHeaders): VerificationLevel | undefined {
    let fromHeader: VerificationLevel | undefined;
    if (headers.verification !== undefined) {
      const parsed = verificationLevelSchema.safeParse(headers.verification.trim());
      if (!parsed.success) {
        throw invalid('X-Doppel-Verification', `X-Doppel-Verification must be none or a '+'-joined set of ${LEVEL_NAMES.join(', ')}; got ${JSON.stringify(headers.verification.slice(0, 40))}.`);
      }
      fromHeader = parsed.data;
    }
    const fromBody = request.verification ?? undefined;
    if (fromHeader && fromBody && fromHeader !== fromBody) {
      throw invalid('verification', `The X-Doppel-Verification header (${fromHeader}) and the verification field (${fromBody}) disagree; send one.`);
    }
    return fromHeader ?? fromBody;
  }

  private clientTurnIdOf(headers: TurnHeaders): string {
    if (headers.idempotencyKey === undefined) return randomUUID();
    if (!IDEMPOTENCY_KEY.test(headers.idempotencyKey)) {
      throw invalid('Idempotency-Key', 'The Idempotency-Key header must be 1 to 64 printable ASCII characters without spaces.');
    }
    return headers.idempotencyKey;
  }
}

function withoutTurnId<T extends { turnId: string }>(event: T): Omit<T, 'turnId'> {
  const { turnId: _turnId, ...rest } = event;
  return rest;
}

type HistoryMessage = { role: 'user' | 'assistant'; content: string };

/** The earlier messages (history) and the text of the last one, which must be the user's. */
export function splitMessages(messages: readonly ChatMessage[]): { history: HistoryMessage[]; text: string } {
  const converted = messages.map((message, index): HistoryMessage => {
    const param = `messages.${index}`;
    if (message.role === 'system' || message.role === 'developer') {
      throw invalid(`${param}.role`, `A persona's definition is its system prompt; ${message.role} messages are not accepted (messages[${index}]).`);
    }
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw invalid(`${param}.role`, `messages[${index}] has role ${JSON.stringify(message.role)}; only user and assistant messages are accepted.`);
    }
    return { role: message.role, content: textOf(message, param) };
  });
  const last = converted.pop()!;
  if (last.role !== 'user') throw invalid(`messages.${messages.length - 1}.role`, 'The last message must be the user’s: it is the one the persona answers.');
  return { history: converted, text: last.content };
}

function textOf(message: ChatMessage, param: string): string {
  if (typeof message.content === 'string') return message.content;
  if (!message.content) throw invalid(`${param}.content`, `${param} has no content.`);
  return message.content
    .map((part, index) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw invalid(`${param}.content.${index}`, `Only text content parts are accepted; ${param} has a ${JSON.stringify(part.type)} part.`);
      }
      return part.text;
    })
    .join('\n');
}

/** A UUID (version 8, RFC 9562) that is a hash of the account and its Idempotency-Key. */
export function uuidFromKey(accountId: string, idempotencyKey: string): string {
  const bytes = createHash('sha256').update(`doppel-openai-conversation\u0000${accountId}\u0000${idempotencyKey}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
