// The socket.io contract of the /chat namespace: one zod schema per payload, the types inferred from them. The
// gateway validates what clients send with these schemas; the web app, the CLI, the load harness and the tests
// import the same types (and may parse what the server sends). No Node imports: the browser reads this file.
import { z } from 'zod';
import { errorBodySchema } from './error-body';
import { ErrorCode } from './error-codes';
import { verificationSpecSchema } from './verification-spec';
import { VERIFICATION_LEVEL_NAMES } from './verification-levels';
import type { AlternativeView, MemoryView, Page, Wire } from './rest-views';

export const CHAT_NAMESPACE = '/chat';

const id = z.string().min(1).max(64);

// ── client → server ──────────────────────────────────────────────────────────────────────────────────────────────

export const turnSendPayloadSchema = z.strictObject({
  conversationId: id,
  // Length limits are the intake's (configurable, GET /limits) business; this only caps what is parsed at all.
  text: z.string().max(1_000_000),
  /** Chosen by the client; resending the same id returns the same turn instead of a second reply. */
  clientTurnId: id,
  /** Proof wanted for this turn; the persona's minimum is added; the turn gets every level or fails. Default none. */
  verification: verificationSpecSchema.optional(),
});
export type TurnSendPayload = z.infer<typeof turnSendPayloadSchema>;

/** Another reply to the conversation's last user message; earlier replies stay as alternatives. */
export const turnRegeneratePayloadSchema = turnSendPayloadSchema.omit({ text: true });
export type TurnRegeneratePayload = z.infer<typeof turnRegeneratePayloadSchema>;

/** Replace the text of your last message and answer it again; the replies to the old text are superseded. */
export const turnEditPayloadSchema = turnSendPayloadSchema.extend({ messageId: id });
export type TurnEditPayload = z.infer<typeof turnEditPayloadSchema>;

/**
 * After a reconnect (to any gateway): continue a turn's stream. Chunks with seq <= afterSeq of the given attempt
 * are not sent again; if the turn restarted since, turn:restarted comes first. A finished turn gets its
 * turn:done or turn:error straight away.
 */
export const turnResumePayloadSchema = z.strictObject({
  turnId: z.uuid(),
  afterSeq: z.number().int().min(-1),
  /** The attempt the client was receiving (turn:restarted tells it); 1 when it never saw a restart. */
  attempt: z.number().int().min(1).max(100).optional(),
});
export type TurnResumePayload = z.infer<typeof turnResumePayloadSchema>;

/** Show this alternative reply and use it (not its siblings) in the context of later turns. */
export const messageChoosePayloadSchema = z.strictObject({ conversationId: id, messageId: id });
export type MessageChoosePayload = z.infer<typeof messageChoosePayloadSchema>;

/** Rate one of the persona's replies, 1–5 (rating again replaces it). */
export const messageRatePayloadSchema = messageChoosePayloadSchema.extend({ score: z.number().int().min(1).max(5) });
export type MessageRatePayload = z.infer<typeof messageRatePayloadSchema>;

/** What the persona remembers about you (also GET /personas/:id/memories's query): newest first, paged by `before`. */
export const memoryListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(512).optional(),
  pinned: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).optional(),
});
export const memoryListPayloadSchema = memoryListQuerySchema.extend({ personaId: id });
export type MemoryListPayload = z.input<typeof memoryListPayloadSchema>;

export const memoryDeletePayloadSchema = z.strictObject({ memoryId: id });
export type MemoryDeletePayload = z.infer<typeof memoryDeletePayloadSchema>;

/** Also PUT /memories/:id/pin's body. */
export const memoryPinSchema = z.strictObject({ pinned: z.boolean() });
export const memoryPinPayloadSchema = memoryPinSchema.extend({ memoryId: id });
export type MemoryPinPayload = z.infer<typeof memoryPinPayloadSchema>;

// ── server → client ──────────────────────────────────────────────────────────────────────────────────────────────

const failedAckSchema = z.object({ ok: z.literal(false), error: errorBodySchema });

export const turnSendAckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    turnId: z.string(),
    duplicate: z.boolean(),
    /** The canonical label of the levels the turn will carry (the request's and the persona's minimum). */
    verification: z.string(),
  }),
  failedAckSchema,
]);
export type TurnSendAck = z.infer<typeof turnSendAckSchema>;

/** The answer to a control event (choose, rate, memory): its result on success, or an error. */
export type ControlAck<T extends object> = ({ ok: true } & T) | z.infer<typeof failedAckSchema>;

/** A reply as the socket and REST deliver it. */
export type AlternativeReply = Wire<AlternativeView>;
export type MessageChooseAck = ControlAck<{ alternatives: AlternativeReply[] }>;

export type MemoryItem = Wire<MemoryView>;

export const turnResumeAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), status: z.enum(['queued', 'running', 'done', 'failed']) }),
  failedAckSchema,
]);
export type TurnResumeAck = z.infer<typeof turnResumeAckSchema>;

export const turnQueuedEventSchema = turnSendPayloadSchema.pick({ conversationId: true, clientTurnId: true }).extend({ turnId: z.string() });
export type TurnQueuedEvent = z.infer<typeof turnQueuedEventSchema>;

export const turnTokenEventSchema = z.object({
  turnId: z.string(),
  /** Starts at 0 and grows by exactly 1 per chunk. */
  seq: z.number().int().min(0),
  text: z.string(),
});
export type TurnTokenEvent = z.infer<typeof turnTokenEventSchema>;

const milliseconds = z.number().nullable();
export const turnTimingsSchema = z.object({
  queueWaitMs: milliseconds,
  retrievalMs: milliseconds,
  timeToFirstTokenMs: milliseconds,
  generationMs: milliseconds,
  totalMs: milliseconds,
});
export type TurnTimings = z.infer<typeof turnTimingsSchema>;

export const turnUsageSchema = z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0) });
export type TurnUsage = z.infer<typeof turnUsageSchema>;

/** Proof attached to a verified turn (verification level other than none). See docs/receipts.md. */
export const turnVerificationSchema = z.object({
  /** The canonical label of the levels this receipt proves ('signed', 'signed+reexec+tee', …); also the receipt's signed `level`. */
  level: z.string(),
  /** The same set as a list. */
  levels: z.array(z.enum(VERIFICATION_LEVEL_NAMES)),
  /** matched: a second node reproduced the output and co-signed; mismatch: it did not (recorded on the node). */
  reexec: z.enum(['matched', 'mismatch']).nullable(),
  receiptId: z.string(),
  /** The EIP-712 receipt: domain, types, message, signatures. */
  receipt: z.record(z.string(), z.unknown()),
  /** What the receipt's hashes commit to, for recomputing them. */
  transcript: z.record(z.string(), z.unknown()),
});
export type TurnVerification = z.infer<typeof turnVerificationSchema>;

/** One of the persona's attached small models on this reply (its receipt lists, signs or proves the same). */
export const turnAttachmentResultSchema = z.object({
  model: z.string(),
  /** sha256 hex of the model's ONNX file, and of its Groth16 verification key. */
  modelHash: z.string(),
  verificationKeyHash: z.string().nullable(),
  /** sha256 hex of its fixed-point input (the reply's embedding), and its fixed-point outputs. */
  inputHash: z.string(),
  output: z.array(z.string()),
  /** Outputs in real units by label, and the highest label. */
  scores: z.record(z.string(), z.number()),
  top: z.string(),
});
export type TurnAttachmentResult = z.infer<typeof turnAttachmentResultSchema>;

export const turnDoneEventSchema = z.object({
  turnId: z.string(),
  /** The reply. */
  messageId: z.string(),
  /** The user message it answers (new for a send, the conversation's last one for a regenerate or an edit). */
  userMessageId: z.string(),
  /** How many replies that user message has now, this one included (more than 1 after a regenerate). */
  alternatives: z.number().int().min(1),
  text: z.string(),
  usage: turnUsageSchema,
  timings: turnTimingsSchema,
  verification: turnVerificationSchema.nullable(),
  /** Present when the persona attaches small models (attachedModels). */
  attachments: z.array(turnAttachmentResultSchema).optional(),
});
export type TurnDoneEvent = z.infer<typeof turnDoneEventSchema>;

/** A node failed mid-turn and another attempt started: discard the partial text; seq starts again at 0. */
export const turnRestartedEventSchema = z.object({ turnId: z.string(), attempt: z.number().int().min(1) });
export type TurnRestartedEvent = z.infer<typeof turnRestartedEventSchema>;

export const turnErrorEventSchema = z.object({ turnId: z.string(), code: z.enum(ErrorCode), message: z.string() });
export type TurnErrorEvent = z.infer<typeof turnErrorEventSchema>;

// ── the event maps socket.io is typed with ───────────────────────────────────────────────────────────────────────

export interface ChatClientToServerEvents {
  'turn:send': (payload: TurnSendPayload, ack: (result: TurnSendAck) => void) => void;
  'turn:regenerate': (payload: TurnRegeneratePayload, ack: (result: TurnSendAck) => void) => void;
  'turn:edit': (payload: TurnEditPayload, ack: (result: TurnSendAck) => void) => void;
  'message:choose': (payload: MessageChoosePayload, ack: (result: MessageChooseAck) => void) => void;
  'message:rate': (payload: MessageRatePayload, ack: (result: ControlAck<{ messageId: string; score: number }>) => void) => void;
  'memory:list': (payload: MemoryListPayload, ack: (result: ControlAck<Page<MemoryItem>>) => void) => void;
  'memory:delete': (payload: MemoryDeletePayload, ack: (result: ControlAck<{ deleted: true }>) => void) => void;
  'memory:pin': (payload: MemoryPinPayload, ack: (result: ControlAck<{ memory: MemoryItem }>) => void) => void;
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
