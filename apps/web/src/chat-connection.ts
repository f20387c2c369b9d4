// The /chat socket for one page: sends turns, and after a dropped connection resumes each unfinished turn's
// stream from the last chunk it rendered (turn:resume { afterSeq, attempt }), so no text is lost or doubled.
import { io, type Socket } from 'socket.io-client';
import type { ChatClientToServerEvents, ChatServerToClientEvents, TurnDoneEvent, TurnErrorEvent, TurnSendAck } from '@doppel/protocol';
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
}

const ACK_TIMEOUT_MS = 8000;
const SEND_ATTEMPTS = 4;

export type ConnectionState = 'connecting' | 'online' | 'reconnecting';

export class ChatConnection {
  private readonly socket: ChatSocket;
  private readonly streams = new Map<string, StreamState>();
  private everConnected = false;

  constructor(token: string, onState: (state: ConnectionState, detail?: string) => void) {
    this.socket = io('/chat', { auth: { token }, transports: ['websocket'], reconnectionDelay: 300, reconnectionDelayMax: 2000 });
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
        if (ack.ok) this.streams.set(ack.turnId, { listener, lastSeq: -1, attempt: 1, chunks: [] });
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
    const timed = this.socket.timeout(ACK_TIMEOUT_MS);
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
    for (const [turnId, stream] of this.streams) {
      this.socket.emit('turn:resume', { turnId, afterSeq: stream.lastSeq, attempt: stream.attempt }, (ack) => {
        if (!ack.ok) {
          this.streams.delete(turnId);
          stream.listener.onError(ack.error);
        }
      });
    }
  }
}
