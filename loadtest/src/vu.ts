// A virtual user: one consumer (its own API key), one conversation with the persona, one socket.io connection to
// /chat. It sends turns and measures each one from the moment it was DUE (not when it could be sent), so a late
// send (a busy generator, an open-loop backlog) shows up in every latency instead of hiding.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ChatClientToServerEvents, ChatServerToClientEvents, TurnDoneEvent, TurnErrorEvent, TurnSendAck, TurnTokenEvent } from '@doppel/protocol';
import { StreamIntegrity } from './integrity';
import type { IntervalRecorder } from './metrics';
import { CHAT_PATH, type CheckedTurn, type Checks } from './options';

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

export interface Account {
  apiKey: string;
  conversationId: string;
}

export interface TurnContext {
  url: string;
  recorder: IntervalRecorder;
  backendTtftMs: number;
  slo: { ttftMs?: number; tpotMs?: number; e2eMs?: number };
  checks: Checks;
  turnTimeoutMs: number;
  message: (vu: number, turn: number) => string;
  /** Called when a turn settles, whatever its outcome. */
  onSettled: () => void;
}

async function postJson<T>(url: string, path: string, body: unknown, apiKey?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch(new URL(path, url), { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  if (response.status !== 201 && response.status !== 200) throw new Error(`POST ${path} → ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export async function signUp(url: string, displayName: string): Promise<string> {
  return (await postJson<{ apiKey: string }>(url, '/accounts', { displayName })).apiKey;
}

/** A new consumer and its conversation with the persona: two REST calls. */
export async function createAccount(url: string, personaId: string, name: string): Promise<Account> {
  const apiKey = await signUp(url, name);
  const conversation = await postJson<{ id: string }>(url, '/conversations', { personaId }, apiKey);
  return { apiKey, conversationId: conversation.id };
}

interface TurnState {
  firstTokenAt: number | null;
  lastTokenAt: number | null;
  integrity: StreamIntegrity;
  timer: NodeJS.Timeout;
  settle: (outcome: Outcome) => void;
}

interface Outcome {
  done?: TurnDoneEvent;
  errorCode?: string;
  /** When the settling event arrived (performance.now()); now if absent. */
  at?: number;
}

/**
 * The error code a refusal counts under. `OVERLOADED` promises a retry time (`retryAfterSeconds`); one without it is
 * not the explicit refusal the capacity targets allow, so it is counted apart (and not as shed).
 */
export function refusalCode(code: string, retryAfterSeconds: unknown): string {
  const hasRetryTime = typeof retryAfterSeconds === 'number' && retryAfterSeconds > 0;
  return code === 'OVERLOADED' && !hasRetryTime ? 'OVERLOADED_WITHOUT_RETRY' : code;
}

type TurnEvent = ['token', TurnTokenEvent, number] | ['restarted', null, number] | ['done', TurnDoneEvent, number] | ['error', TurnErrorEvent, number];

export class VirtualUser {
  private socket: ChatSocket | null = null;
  private readonly turns = new Map<string, TurnState>();
  /** Events for a turn whose ack has not arrived yet (the contract says they cannot, but a harness checks). */
  private readonly early = new Map<string, TurnEvent[]>();
  private awaitingAcks = 0;
  private turnCount = 0;
  connected = false;

  constructor(
    readonly index: number,
    private readonly account: Account,
    private readonly context: TurnContext,
  ) {}

  get inFlight(): number {
    return this.turns.size + this.awaitingAcks;
  }

  /** Opens the socket; resolves true when connected, false (recorded) when the handshake failed. */
  connect(): Promise<boolean> {
    const { recorder } = this.context;
    const startedAt = performance.now();
    const socket: ChatSocket = io(`${this.context.url}${CHAT_PATH}`, {
      auth: { token: this.account.apiKey },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 30_000,
    });
    this.socket = socket;
    socket.on('turn:token', (event) => this.onEvent(event.turnId, ['token', event, performance.now()]));
    socket.on('turn:restarted', (event) => this.onEvent(event.turnId, ['restarted', null, performance.now()]));
    socket.on('turn:done', (event) => this.onEvent(event.turnId, ['done', event, performance.now()]));
    socket.on('turn:error', (event) => this.onEvent(event.turnId, ['error', event, performance.now()]));
    return new Promise((resolve) => {
      socket.once('connect', () => {
        recorder.trend('connect_time', performance.now() - startedAt);
        this.connected = true;
        socket.on('disconnect', () => {
          this.connected = false;
          recorder.add('disconnects');
          for (const turn of [...this.turns.values()]) turn.settle({ errorCode: 'DISCONNECTED' });
        });
        resolve(true);
      });
      socket.once('connect_error', (error: Error & { data?: { code?: string; retryAfterSeconds?: unknown } }) => {
        recorder.add('connect_errors');
        recorder.error(`CONNECT_${refusalCode(error.data?.code ?? 'FAILED', error.data?.retryAfterSeconds)}`);
        socket.removeAllListeners();
        socket.close();
        this.socket = null;
        resolve(false);
      });
    });
  }

  disconnect(): void {
    for (const turn of [...this.turns.values()]) turn.settle({ errorCode: 'INTERRUPTED' });
    this.socket?.removeAllListeners();
    this.socket?.close();
    this.socket = null;
    this.connected = false;
  }

  /** Sends one turn that was due at `due` (performance.now() clock) and resolves when it has settled. */
  sendTurn(due: number): Promise<void> {
    const { recorder } = this.context;
    const number = this.turnCount++;
    recorder.add('turns_sent');
    const sentAt = performance.now();
    recorder.trend('send_lag', sentAt - due);
    return new Promise<void>((resolve) => {
      const socket = this.socket;
      if (!socket || !this.connected) {
        this.finish(due, null, { errorCode: 'NOT_CONNECTED' }, false, false);
        return resolve();
      }
      this.awaitingAcks++;
      let state: TurnState | null = null;
      let settled = false;
      const ackTimer = setTimeout(() => {
        if (state || settled) return;
        settled = true;
        this.awaitingAcks--;
        this.finish(due, null, { errorCode: 'ACK_TIMEOUT' }, false, false);
        resolve();
      }, this.context.turnTimeoutMs);
      socket.emit('turn:send', { conversationId: this.account.conversationId, text: this.context.message(this.index, number), clientTurnId: randomUUID() }, (ack: TurnSendAck) => {
        if (settled) return;
        clearTimeout(ackTimer);
        this.awaitingAcks--;
        recorder.trend('ack_latency', performance.now() - due);
        if (!ack.ok) {
          settled = true;
          const details = ack.error.details as { retryAfterSeconds?: unknown } | undefined;
          this.finish(due, null, { errorCode: refusalCode(ack.error.code, details?.retryAfterSeconds) }, false, false);
          return resolve();
        }
        if (ack.duplicate) recorder.integrity('duplicate_turn');
        const turnId = ack.turnId;
        const turnState: TurnState = {
          firstTokenAt: null,
          lastTokenAt: null,
          integrity: new StreamIntegrity(),
          timer: setTimeout(() => turnState.settle({ errorCode: 'TIMEOUT' }), Math.max(1, this.context.turnTimeoutMs - (performance.now() - due))),
          settle: (outcome) => {
            if (settled) return;
            settled = true;
            clearTimeout(turnState.timer);
            this.turns.delete(turnId);
            this.finish(due, turnState, outcome, true, ack.duplicate);
            resolve();
          },
        };
        state = turnState;
        this.turns.set(turnId, turnState);
        const early = this.early.get(turnId);
        if (early) {
          this.early.delete(turnId);
          for (const event of early) this.apply(turnState, event);
        }
        if (this.awaitingAcks === 0) this.early.clear();
      });
    });
  }

  private onEvent(turnId: string, event: TurnEvent): void {
    const state = this.turns.get(turnId);
    if (state) return this.apply(state, event);
    if (this.awaitingAcks > 0) {
      let list = this.early.get(turnId);
      if (!list) this.early.set(turnId, (list = []));
      list.push(event);
    }
  }

  private apply(state: TurnState, [kind, payload, at]: TurnEvent): void {
    const { recorder } = this.context;
    switch (kind) {
      case 'token': {
        const violation = state.integrity.token(payload.seq, payload.text);
        if (violation) recorder.integrity(violation);
        recorder.add('chunks');
        if (state.firstTokenAt === null) state.firstTokenAt = at;
        else recorder.trend('itl', at - state.lastTokenAt!);
        state.lastTokenAt = at;
        return;
      }
      case 'restarted':
        state.integrity.restarted();
        return;
      case 'done': {
        const violation = state.integrity.done(payload.text);
        if (violation) recorder.integrity(violation);
        state.settle({ done: payload, at });
        return;
      }
      case 'error':
        state.settle({ errorCode: payload.code, at });
        return;
    }
  }

  private finish(due: number, state: TurnState | null, outcome: Outcome, acked: boolean, duplicate: boolean): void {
    const { recorder, slo, backendTtftMs } = this.context;
    const e2e = (outcome.at ?? performance.now()) - due;
    const done = outcome.done ?? null;
    const intact = state ? state.integrity.intact : true;
    let errorCode = outcome.errorCode ?? (duplicate ? 'DUPLICATE_TURN' : intact ? null : 'STREAM_INTEGRITY');
    const ttft = state?.firstTokenAt != null ? state.firstTokenAt - due : null;
    const completionTokens = done?.usage?.completionTokens ?? 0;
    let tpot: number | null = null;

    recorder.add('turns');
    if (done && !errorCode && state) {
      recorder.trend('e2e', e2e);
      if (ttft !== null) {
        recorder.trend('ttft', ttft);
        recorder.trend('ttft_added', ttft - backendTtftMs);
        if (completionTokens > 1) {
          tpot = (e2e - ttft) / (completionTokens - 1);
          recorder.trend('tpot', tpot);
        }
      } else {
        // turn:done with no chunk at all: an empty reply is a broken stream for a chat runtime.
        errorCode = 'NO_TOKENS';
      }
      if (done.timings?.queueWaitMs != null) recorder.trend('queue_wait', done.timings.queueWaitMs);
      if (done.timings?.timeToFirstTokenMs != null) recorder.trend('server_ttft', done.timings.timeToFirstTokenMs);
      recorder.add('output_tokens', completionTokens);
    }
    const ok = errorCode === null;
    if (ok) recorder.add('turns_ok');
    else recorder.error(errorCode!);
    recorder.rate('turn_errors', !ok);
    const good =
      ok &&
      (slo.ttftMs === undefined || (ttft !== null && ttft <= slo.ttftMs)) &&
      (slo.tpotMs === undefined || tpot === null || tpot <= slo.tpotMs) &&
      (slo.e2eMs === undefined || e2e <= slo.e2eMs);
    recorder.rate('goodput', good);
    if (good) recorder.add('good_turns');
    if (acked) recorder.rate('admitted_goodput', good);
    // Refused at once, with a retry time, because the runtime was at capacity: shed, not failed late.
    if (errorCode === 'OVERLOADED') recorder.add('shed_turns');

    const checked: CheckedTurn = { ok, errorCode, text: done?.text ?? '', chunks: state?.integrity.chunkCount ?? 0, completionTokens, ttftMs: ttft, e2eMs: e2e };
    recorder.check('ack ok', acked);
    recorder.check('reply done', done !== null);
    recorder.check('stream intact', intact);
    for (const [name, check] of Object.entries(this.context.checks)) {
      let pass = false;
      try {
        pass = Boolean(check(checked));
      } catch {
        pass = false;
      }
      recorder.check(name, pass);
    }
    this.context.onSettled();
  }
}
