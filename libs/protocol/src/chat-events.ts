// The socket.io contract of the /chat namespace, shared by the gateway, the CLI, tests and the load harness.
import type { ErrorBody } from './doppel-error';
import type { ErrorCode } from './error-codes';
import type { VerificationLevelName } from './verification-levels';

export const CHAT_NAMESPACE = '/chat';

/** What a client may send: a label ('none', 'signed', 'signed+reexec+tee') or a list of level names. */
export type VerificationSpec = string | VerificationLevelName[];

export interface TurnSendPayload {
  conversationId: string;
  text: string;
  /** Chosen by the client; resending the same id returns the same turn instead of a second reply. */
  clientTurnId: string;
  /**
   * Proof wanted for this turn, as a set: a list (`["signed", "tee"]`) or a `+`-joined label (`"signed+reexec"`,
   * the single-level strings of earlier clients included). The persona's minimum is added; the turn gets every
   * level or fails. Default none.
   */
  verification?: VerificationSpec;
}

/** Another reply to the conversation's last user message; earlier replies stay as alternatives. */
export interface TurnRegeneratePayload {
  conversationId: string;
  clientTurnId: string;
  verification?: TurnSendPayload['verification'];
}

/** Replace the text of your last message and answer it again; the replies to the old text are superseded. */
export interface TurnEditPayload extends TurnRegeneratePayload {
  messageId: string;
  text: string;
}

/** Show this alternative reply and use it (not its siblings) in the context of later turns. */
export interface MessageChoosePayload {
  conversationId: string;
  messageId: string;
}

export interface AlternativeReply {
  id: string;
  content: string;
  turnId: string | null;
  chosen: boolean;
  createdAt: string;
}

/** The answer to a control event (choose, rate, memory): its result on success, or an error. */
export type ControlAck<T extends object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

export type MessageChooseAck = ControlAck<{ alternatives: AlternativeReply[] }>;

/** Rate one of the persona's replies, 1–5 (rating again replaces it). */
export interface MessageRatePayload {
  conversationId: string;
  messageId: string;
  score: number;
}

/** What the persona remembers about you: newest first; pass nextCursor as before for older items. */
export interface MemoryListPayload {
  personaId: string;
  limit?: number;
  before?: string;
  pinned?: boolean;
}

export interface MemoryItem {
  id: string;
  kind: 'user_message' | 'assistant_reply' | 'fact';
  content: string;
  conversationId: string | null;
  embeddingModel: string;
  pinned: boolean;
  createdAt: string;
}

export type TurnSendAck =
  | { ok: true; turnId: string; duplicate: boolean; verification: string }
  | { ok: false; error: ErrorBody };

export interface TurnTimings {
  queueWaitMs: number | null;
  retrievalMs: number | null;
  timeToFirstTokenMs: number | null;
  generationMs: number | null;
  totalMs: number | null;
}

export interface TurnUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface TurnQueuedEvent {
  turnId: string;
  conversationId: string;
  clientTurnId: string;
}
export interface TurnTokenEvent {
  turnId: string;
  /** Starts at 0 and grows by exactly 1 per chunk. */
  seq: number;
  text: string;
}
/** Proof attached to a verified turn (verification level other than none). See docs/receipts.md. */
export interface TurnVerification {
  /** The canonical label of the levels this receipt proves ('signed', 'signed+reexec+tee', …); also the receipt's signed `level`. */
  level: string;
  /** The same set as a list. */
  levels: VerificationLevelName[];
  /** matched: a second node reproduced the output and co-signed; mismatch: it did not (recorded on the node). */
  reexec: 'matched' | 'mismatch' | null;
  receiptId: string;
  /** The EIP-712 receipt: domain, types, message, signatures. */
  receipt: Record<string, unknown>;
  /** What the receipt's hashes commit to, for recomputing them. */
  transcript: Record<string, unknown>;
}

export interface TurnDoneEvent {
  turnId: string;
  messageId: string;
  text: string;
  usage: TurnUsage;
  timings: TurnTimings;
  verification: TurnVerification | null;
}
/** A node failed mid-turn and another attempt started: discard the partial text; seq starts again at 0. */
export interface TurnRestartedEvent {
  turnId: string;
  attempt: number;
}
export interface TurnErrorEvent {
  turnId: string;
  code: ErrorCode;
  message: string;
}

/**
 * After a reconnect (to any gateway): continue a turn's stream. Chunks with seq <= afterSeq of the given attempt
 * are not sent again; if the turn restarted since, turn:restarted comes first. A finished turn gets its
 * turn:done or turn:error straight away.
 */
export interface TurnResumePayload {
  turnId: string;
  afterSeq: number;
  /** The attempt the client was receiving (turn:restarted tells it); 1 when it never saw a restart. */
  attempt?: number;
}

export type TurnResumeAck = { ok: true; status: 'queued' | 'running' | 'done' | 'failed' } | { ok: false; error: ErrorBody };

export interface ChatClientToServerEvents {
  'turn:send': (payload: TurnSendPayload, ack: (result: TurnSendAck) => void) => void;
  'turn:regenerate': (payload: TurnRegeneratePayload, ack: (result: TurnSendAck) => void) => void;
  'turn:edit': (payload: TurnEditPayload, ack: (result: TurnSendAck) => void) => void;
  'message:choose': (payload: MessageChoosePayload, ack: (result: MessageChooseAck) => void) => void;
  'message:rate': (payload: MessageRatePayload, ack: (result: ControlAck<{ messageId: string; score: number }>) => void) => void;
  'memory:list': (payload: MemoryListPayload, ack: (result: ControlAck<{ items: MemoryItem[]; nextCursor: string | null }>) => void) => void;
  'memory:delete': (payload: { memoryId: string }, ack: (result: ControlAck<{ deleted: true }>) => void) => void;
  'memory:pin': (payload: { memoryId: string; pinned: boolean }, ack: (result: ControlAck<{ memory: MemoryItem }>) => void) => void;
  'turn:resume': (payload: TurnResumePayload, ack: (result: TurnResumeAck) => void) => void;
}

export interface ChatServerToClientEvents {
  'turn:queued': (event: TurnQueuedEvent) => void;
  'turn:token': (event: TurnTokenEvent) => void;
  'turn:restarted': (event: TurnRestartedEvent) => void;
  'turn:done': (event: TurnDoneEvent) => void;
  'turn:error': (event: TurnErrorEvent) => void;
}

/** Data the handshake leaves on each socket. */
export interface ChatSocketData {
  accountId: string;
}
