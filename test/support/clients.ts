// REST and socket.io clients for end-to-end suites: the same protocol types the real clients use.
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { z } from 'zod';
import {
  CHAT_NAMESPACE,
  turnDoneEventSchema,
  turnErrorEventSchema,
  turnSendAckSchema,
  type ChatClientToServerEvents,
  type ChatServerToClientEvents,
  type TurnDoneEvent,
  type TurnEditPayload,
  type TurnErrorEvent,
  type TurnRegeneratePayload,
  type TurnSendAck,
  type TurnSendPayload,
  type TurnTokenEvent,
} from '@doppel/protocol';

export type ChatClient = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export function api(baseUrl: string, apiKey?: string) {
  return async <T = any>(method: string, path: string, body?: unknown, init: { rawBody?: string } = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const send = () => fetch(new URL(path, baseUrl), { method, headers, body: init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) });
    // A test that blocks this process's event loop for longer than the server's keep-alive (the in-process EVM
    // does) leaves a pooled socket the server already closed; the next request fails "other side closed" before
    // the server read it. That request never ran, so it is sent again once on a fresh connection.
    const response = await send().catch((error: Error & { cause?: { code?: string; message?: string } }) => {
      if (error.cause?.code === 'UND_ERR_SOCKET' && /other side closed/.test(error.cause.message ?? '')) return send();
      throw error;
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

export async function signUp(baseUrl: string, displayName: string): Promise<{ id: string; apiKey: string }> {
  const response = await api(baseUrl)('POST', '/accounts', { displayName });
  if (response.status !== 201) throw new Error(`signup failed: ${JSON.stringify(response.body)}`);
  return response.body;
}

export function connectChat(baseUrl: string, token: string | undefined): Promise<ChatClient> {
  const socket: ChatClient = io(`${baseUrl}${CHAT_NAMESPACE}`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export interface TurnResult {
  ack: TurnSendAck;
  queued: boolean;
  tokens: TurnTokenEvent[];
  done: TurnDoneEvent | null;
  error: TurnErrorEvent | null;
  /** Every turn:token this socket saw, for any turn: used to prove no cross-talk. */
  foreignTokens: TurnTokenEvent[];
}

/** A payload whose clientTurnId a helper fills in when the test leaves it out. */
type ClientTurnIdOptional<T extends { clientTurnId: string }> = Omit<T, 'clientTurnId'> & Partial<Pick<T, 'clientTurnId'>>;

/**
 * What the server sent, held to the wire contract (@doppel/protocol's schema): a field missing, mistyped or not in
 * the contract fails the test that received it.
 */
export function assertWireShape<S extends z.ZodObject | z.ZodDiscriminatedUnion>(schema: S, value: unknown, what: string): z.infer<S> {
  const strict = 'strict' in schema ? (schema as z.ZodObject).strict() : schema;
  const parsed = strict.safeParse(value);
  if (!parsed.success) throw new Error(`${what} does not match the wire contract: ${parsed.error.message}\n${JSON.stringify(value)}`);
  return parsed.data as z.infer<S>;
}

/** Sends one turn and gathers everything the server emits about it until turn:done or turn:error. */
export function sendTurn(
  socket: ChatClient,
  payload: ClientTurnIdOptional<TurnSendPayload>,
  timeoutMs = 15_000,
): Promise<TurnResult> {
  return runTurn(socket, 'turn:send', payload, timeoutMs);
}

/** turn:regenerate: another reply to the conversation's last user message. */
export function regenerateTurn(
  socket: ChatClient,
  payload: ClientTurnIdOptional<TurnRegeneratePayload>,
  timeoutMs = 15_000,
): Promise<TurnResult> {
  return runTurn(socket, 'turn:regenerate', payload, timeoutMs);
}

/** turn:edit: new text for the consumer's last message, answered again. */
export function editTurn(
  socket: ChatClient,
  payload: ClientTurnIdOptional<TurnEditPayload>,
  timeoutMs = 15_000,
): Promise<TurnResult> {
  return runTurn(socket, 'turn:edit', payload, timeoutMs);
}

function runTurn(socket: ChatClient, event: 'turn:send' | 'turn:regenerate' | 'turn:edit', payload: object, timeoutMs: number): Promise<TurnResult> {
  const result: TurnResult = { ack: { ok: false, error: { code: 'INTERNAL' as never, message: 'no ack' } }, queued: false, tokens: [], done: null, error: null, foreignTokens: [] };
  let turnId: string | null = null;
  const early: TurnTokenEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`turn did not finish in ${timeoutMs} ms: ${JSON.stringify(result)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      cleanup();
      resolve(result);
    };
    // A reply off the contract fails the turn's promise (a throw inside a socket.io handler would only time out).
    const checked =
      <A extends unknown[]>(handle: (...args: A) => void) =>
      (...args: A) => {
        try {
          handle(...args);
        } catch (error) {
          clearTimeout(timer);
          cleanup();
          reject(error);
        }
      };
    const onQueued = (event: { turnId: string }) => {
      if (event.turnId === turnId) result.queued = true;
    };
    const onToken = (event: TurnTokenEvent) => {
      if (turnId === null) early.push(event);
      else if (event.turnId === turnId) result.tokens.push(event);
      else result.foreignTokens.push(event);
    };
    const onDone = checked((event: TurnDoneEvent) => {
      if (event.turnId !== turnId) return;
      result.done = assertWireShape(turnDoneEventSchema, event, 'turn:done');
      finish();
    });
    const onError = checked((event: TurnErrorEvent) => {
      if (event.turnId !== turnId) return;
      result.error = assertWireShape(turnErrorEventSchema, event, 'turn:error');
      finish();
    });
    const cleanup = () => {
      socket.off('turn:queued', onQueued);
      socket.off('turn:token', onToken);
      socket.off('turn:done', onDone);
      socket.off('turn:error', onError);
    };
    socket.on('turn:queued', onQueued);
    socket.on('turn:token', onToken);
    socket.on('turn:done', onDone);
    socket.on('turn:error', onError);
    (socket.emit as (...args: unknown[]) => void)(
      event,
      { clientTurnId: randomUUID(), ...payload },
      checked((ack: TurnSendAck) => {
        result.ack = assertWireShape(turnSendAckSchema, ack, `${event} ack`);
        if (!ack.ok) return finish();
        turnId = ack.turnId;
        for (const event of early.splice(0)) onToken(event);
      }),
    );
  });
}

/** Emits turn:send with an arbitrary payload and returns only the ack. */
export function sendRaw(socket: ChatClient, payload: unknown): Promise<TurnSendAck> {
  return new Promise((resolve) => (socket.emit as (...args: unknown[]) => void)('turn:send', payload, resolve));
}
