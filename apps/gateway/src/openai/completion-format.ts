// Doppel's turn events in OpenAI's response shapes: chat.completion, chat.completion.chunk, and the `doppel`
// extension that carries what OpenAI has no field for (the turn, its conversation, the receipt and transcript).
import type { TurnDoneEvent, TurnTimings, TurnUsage, TurnVerification } from '@doppel/protocol';
import type { VerificationLevel } from '@doppel/verification';

export interface CompletionIdentity {
  /** `chatcmpl-<turnId>`: a resend with the same Idempotency-Key gets the same id. */
  id: string;
  created: number;
  /** The model string the client sent, echoed as OpenAI does. */
  model: string;
}

export interface DoppelExtension {
  turnId: string;
  conversationId: string;
  messageId: string;
  /** The user message the reply answers, and how many replies it has now (as in turn:done). */
  userMessageId: string;
  alternatives: number;
  /** The level the turn carries: the stricter of the request and the persona's minimum. */
  level: VerificationLevel;
  /** True when the Idempotency-Key had already started this turn: this response replays it. */
  duplicate: boolean;
  /** Receipt and transcript (verify with `npm run verify` or POST /receipts/verify); null at level none. */
  verification: TurnVerification | null;
  timings: TurnTimings;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function completionIdentity(turnId: string, model: string, created = Math.floor(Date.now() / 1000)): CompletionIdentity {
  return { id: `chatcmpl-${turnId}`, created, model };
}

export function usageOf(usage: TurnUsage): OpenAiUsage {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

export function doppelExtension(
  turn: { turnId: string; conversationId: string; verification: VerificationLevel; duplicate: boolean },
  done: Omit<TurnDoneEvent, 'turnId'>,
): DoppelExtension {
  return {
    turnId: turn.turnId,
    conversationId: turn.conversationId,
    messageId: done.messageId,
    userMessageId: done.userMessageId,
    alternatives: done.alternatives,
    level: turn.verification,
    duplicate: turn.duplicate,
    verification: done.verification,
    timings: done.timings,
  };
}

/** The non-streaming answer: one chat.completion with the stored reply. */
export function chatCompletion(identity: CompletionIdentity, done: Omit<TurnDoneEvent, 'turnId'>, doppel: DoppelExtension) {
  return {
    ...identity,
    object: 'chat.completion' as const,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: done.text, refusal: null }, logprobs: null, finish_reason: 'stop' as const }],
    usage: usageOf(done.usage),
    doppel,
  };
}

/** One chat.completion.chunk; `extra` adds usage (stream_options.include_usage) or the doppel extension. */
export function chatCompletionChunk(
  identity: CompletionIdentity,
  choice: { delta: { role?: 'assistant'; content?: string }; finishReason?: 'stop' } | null,
  extra: { usage?: OpenAiUsage | null; doppel?: DoppelExtension } = {},
) {
  return {
    ...identity,
    object: 'chat.completion.chunk' as const,
    system_fingerprint: null,
    choices: choice ? [{ index: 0, delta: choice.delta, logprobs: null, finish_reason: choice.finishReason ?? null }] : [],
    ...extra,
  };
}

/** One server-sent event carrying JSON, or the stream's terminator. */
export function sseData(payload: object | '[DONE]'): string {
  return `data: ${payload === '[DONE]' ? payload : JSON.stringify(payload)}\n\n`;
}

/**
 * What of each token event is new to the client. A turn restarted on another node (its first node died) streams
 * again from its first token; the text the client already has is not sent twice, as long as the new attempt
 * repeats it (generation is reproducible for the same prompt and parameters). If it does not, the stream cannot
 * be made right by appending, and `diverged` says so.
 */
export class StreamedText {
  private sent = '';
  private attemptText = '';
  diverged = false;

  started(attempt: number): void {
    if (attempt > 1) this.attemptText = '';
  }

  /** The part of `text` to send now ('' when the client already has it). */
  next(text: string): string {
    this.attemptText += text;
    if (this.attemptText.length <= this.sent.length) {
      if (!this.sent.startsWith(this.attemptText)) this.diverged = true;
      return '';
    }
    if (!this.attemptText.startsWith(this.sent)) {
      this.diverged = true;
      return '';
    }
    const delta = this.attemptText.slice(this.sent.length);
    this.sent = this.attemptText;
    return delta;
  }

  /** The stored reply's text the client has not seen (a stream that ended before every token was relayed). */
  rest(finalText: string): string {
    if (!finalText.startsWith(this.sent)) {
      this.diverged = true;
      return '';
    }
    const rest = finalText.slice(this.sent.length);
    this.sent = finalText;
    return rest;
  }
}
