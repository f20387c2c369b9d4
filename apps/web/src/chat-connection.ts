// The /chat socket for one page: sends turns, and after a dropped connection resumes each unfinished turn's
// stream from the last chunk it rendered (turn:resume { afterSeq, attempt }), so no text is lost or doubled. A resume
// refused for a passing reason (the gateway busy or briefly without Redis) or left unanswered is asked again.
import { io, type Socket } from 'socket.io-client';
import type { ChatClientToServerEvents, ChatServerToClientEvents, ErrorBody, TurnDoneEvent, TurnErrorEvent, TurnResumeAck, TurnSendAck } from '@doppel/protocol';
import type { VerificationLevel } from './types';

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

export interface TurnListener {
  onQueued(): void;
  /** The whole text so far (chunks in seq order). */
  onText(text: string): void;
  onRestarted(attempt: number): void;
  onDone(event: TurnDoneEvent): void;
  onError(event: Pick<TurnErrorEvent, 'code' | 'message'>): void;
}

interface StreamState {
  listener: TurnListener;
  lastSeq: number;
  attempt: number;
  chunks: string[];
  /** Counts the resumes asked for this stream; an answer to any but the latest is stale. */
  resumes: number;
}

const ACK_TIMEOUT_MS = 8000;
const SEND_ATTEMPTS = 4;
const RESUME_ATTEMPTS = 5;
const RESUME_FIRST_DELAY_MS = 500;
const RESUME_MAX_DELAY_MS = 10_000;
/**
 * Refusals that say "not now" rather than "never": the turn is still there to resume. Spelled as strings because
 * importing the ErrorCode enum would put every code in the page's bundle.
 */
const RETRYABLE_RESUME_CODES = new Set<string>(['INTERNAL', 'OVERLOADED', 'RATE_LIMITED', 'QUEUE_UNAVAILABLE']);

export interface ChatConnectionOptions {
  /** The chat namespace's address; the page's own origin by default. */
  url?: string;
  /** How long an event waits for the gateway's answer before it is sent again. */
  ackTimeoutMs?: number;
}

export type ConnectionState = 'connecting' | 'online' | 'reconnecting';

export class ChatConnection {
  private readonly socket: ChatSocket;
  private readonly streams = new Map<string, StreamState>();
  private everConnected = false;
  private readonly ackTimeoutMs: number;

  constructor(token: string, onState: (state: ConnectionState, detail?: string) => void, options: ChatConnectionOptions = {}) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.socket = io(options.url ?? '/chat', { auth: { token }, transports: ['websocket'], reconnectionDelay: 300, reconnectionDelayMax: 2000 });
    onState('connecting');
    this.socket.on('connect', () => {
      onState('online');
      if (this.everConnected) this.resumeAll();
      this.everConnected = true;
    });
    this.socket.on('disconnect', () => onState('reconnecting'));
    this.socket.on('connect_error', (error) => onState('reconnecting', error.message));
    this.socket.on('turn:queued', ({ turnId }) => this.streams.get(turnId)?.listener.onQueued());
    this.socket.on('turn:token', ({ turnId, seq, text }) => {
      const stream = this.streams.get(turnId);
      // seq grows by one per chunk; anything else is a chunk already rendered (a resume overlap).
      if (!stream || seq !== stream.lastSeq + 1) return;
      stream.lastSeq = seq;
      stream.chunks.push(text);
      stream.listener.onText(stream.chunks.join(''));
    });
    this.socket.on('turn:restarted', ({ turnId, attempt }) => {
      const stream = this.streams.get(turnId);
      if (!stream) return;
      stream.attempt = attempt;
      stream.lastSeq = -1;
      stream.chunks = [];
      stream.listener.onRestarted(attempt);
    });
    this.socket.on('turn:done', (event) => {
      const stream = this.streams.get(event.turnId);
      this.streams.delete(event.turnId);
      stream?.listener.onDone(event);
    });
    this.socket.on('turn:error', (event) => {
      const stream = this.streams.get(event.turnId);
      this.streams.delete(event.turnId);
      stream?.listener.onError(event);
    });
  }

  send(conversationId: string, text: string, verification: VerificationLevel, listener: TurnListener): Promise<TurnSendAck> {
    return this.start('turn:send', { conversationId, text, clientTurnId: crypto.randomUUID(), verification }, listener);
  }

  /** Another reply to the last user message; the earlier one stays as an alternative. */
  regenerate(conversationId: string, verification: VerificationLevel, listener: TurnListener): Promise<TurnSendAck> {
    return this.start('turn:regenerate', { conversationId, clientTurnId: crypto.randomUUID(), verification }, listener);
  }

  /** New text for the consumer's last message, answered again. */
  edit(conversationId: string, messageId: string, text: string, verification: VerificationLevel, listener: TurnListener): Promise<TurnSendAck> {
    return this.start('turn:edit', { conversationId, messageId, text, clientTurnId: crypto.randomUUID(), verification }, listener);
  }

  private start<E extends 'turn:send' | 'turn:regenerate' | 'turn:edit'>(event: E, payload: Parameters<ChatClientToServerEvents[E]>[0], listener: TurnListener): Promise<TurnSendAck> {
    return new Promise((resolve) => {
      let settled = false;
      const onAck = (ack: TurnSendAck) => {
        if (settled) return;
        settled = true;
        if (ack.ok) this.streams.set(ack.turnId, { listener, lastSeq: -1, attempt: 1, chunks: [], resumes: 0 });
        else listener.onError(ack.error);
        resolve(ack);
      };
      this.emitUntilAcknowledged(event, payload, onAck, SEND_ATTEMPTS);
    });
  }

  /**
   * An ack lost with a dropped connection would leave the turn hanging, so the same payload is sent again: its
   * clientTurnId makes the server answer with the turn it already accepted (duplicate: true), never a second one.
   */
  private emitUntilAcknowledged(event: string, payload: unknown, onAck: (ack: TurnSendAck) => void, attemptsLeft: number): void {
    // socket.io's typed emit cannot narrow a union of event names; each payload was typed by its caller.
    const timed = this.socket.timeout(this.ackTimeoutMs);
    const emit = timed.emit as (name: string, body: unknown, ack: (error: Error | null, result: TurnSendAck) => void) => void;
    emit.call(timed, event, payload, (error, ack) => {
      if (!error) return onAck(ack);
      if (attemptsLeft > 1) return this.emitUntilAcknowledged(event, payload, onAck, attemptsLeft - 1);
      onAck({ ok: false, error: { code: 'NETWORK' as Extract<TurnSendAck, { ok: false }>['error']['code'], message: 'The gateway did not confirm the message; check your connection and send it again.' } });
    });
  }

  /** For tests and the "simulate a drop" control: cut the transport; socket.io reconnects by itself. */
  dropConnection(): void {
    this.socket.io.engine?.close();
  }

  close(): void {
    this.socket.close();
    this.streams.clear();
  }

  private resumeAll(): void {
    for (const [turnId, stream] of this.streams) this.resume(turnId, stream, RESUME_ATTEMPTS);
  }

  private resume(turnId: string, stream: StreamState, attemptsLeft: number): void {
    const resumeNumber = ++stream.resumes;
    // False once the turn finished, or a later resume (a reconnect resumes every stream again) took over.
    const stillCurrent = () => this.streams.get(turnId) === stream && stream.resumes === resumeNumber;
    const timed = this.socket.timeout(this.ackTimeoutMs);
    timed.emit('turn:resume', { turnId, afterSeq: stream.lastSeq, attempt: stream.attempt }, (error: Error | null, ack: TurnResumeAck) => {
      if (!stillCurrent()) return;
      if (!error && ack.ok) return;
      const refusal: ErrorBody | null = error ? null : (ack as Extract<TurnResumeAck, { ok: false }>).error;
      const retryable = refusal === null || RETRYABLE_RESUME_CODES.has(refusal.code);
      // Disconnected: the next connect resumes every stream anyway.
      if (retryable && !this.socket.connected) return;
      if (retryable && attemptsLeft > 1) {
        setTimeout(() => {
          if (stillCurrent() && this.socket.connected) this.resume(turnId, stream, attemptsLeft - 1);
        }, resumeDelayMs(refusal, RESUME_ATTEMPTS - attemptsLeft));
        return;
      }
      this.streams.delete(turnId);
      stream.listener.onError(
        refusal ?? { code: 'NETWORK' as ErrorBody['code'], message: 'The gateway did not answer while picking the reply up again; reload the conversation to see it.' },
      );
    });
  }
}

/** The refusal's own retry time where it gives one, else a doubling pause from half a second. */
function resumeDelayMs(refusal: ErrorBody | null, retriesSoFar: number): number {
  const asked = (refusal?.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  const delay = typeof asked === 'number' && asked > 0 ? asked * 1000 : RESUME_FIRST_DELAY_MS * 2 ** retriesSoFar;
  return Math.min(delay, RESUME_MAX_DELAY_MS);
}
