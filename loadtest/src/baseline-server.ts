// The baseline: a bare socket.io server that speaks the same /chat protocol (and the three REST calls the harness
// makes) and streams the same kind of synthetic tokens — same time to first token, token rate, reply length and
// chunk coalescing — with no queue, no database, no worker and no Redis. What it sustains on this machine is the
// transport's limit; the report divides the runtime's figures by it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { ChatClientToServerEvents, ChatServerToClientEvents, TurnSendAck } from '@doppel/protocol';
import { CHAT_PATH } from './options';

export interface BaselineSettings {
  ttftMs: number;
  tokensPerSecond: number;
  chunkIntervalMs: number;
  maxTokens: number;
}

const WORDS = (
  'the a of and to in is it that you this was for on are with as I his they be at one have from or had by word but what some we can ' +
  'out other were all there when up use your how said an each she which do their time if will way about many then them write would like ' +
  'so these her long make thing see him two has look more day could go come did number sound no most people my over know water than'
).split(' ');

/** The same shape of reply as the synthetic backend: 12 + [0, 36) words, capped at maxTokens, one sentence. */
export function syntheticReply(text: string, maxTokens: number): string[] {
  const digest = createHash('sha256').update(text).digest();
  const length = Math.min(maxTokens, 12 + (digest[0]! % 36));
  return Array.from({ length }, (_, index) => {
    let word = WORDS[digest[(index + 1) % digest.length]! % WORDS.length]!;
    if (index === 0) word = word[0]!.toUpperCase() + word.slice(1);
    return (index === 0 ? '' : ' ') + word + (index === length - 1 ? '.' : '');
  });
}

/**
 * One timer for every stream holding text, firing every interval while any does: the runtime's FlushClock
 * (libs/streaming/src/chunk-coalescer.ts) restated, since the harness imports none of the runtime's code (only the
 * protocol's types), so that it measures any build the same way.
 */
class SharedFlushTick {
  private readonly pending = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number) {}

  schedule(flush: () => void): void {
    this.pending.add(flush);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  cancel(flush: () => void): void {
    this.pending.delete(flush);
  }

  private tick(): void {
    if (this.pending.size === 0) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    const due = [...this.pending];
    this.pending.clear();
    for (const flush of due) flush();
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startBaselineServer(settings: BaselineSettings, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const conversations = new Set<string>();
  const http = createServer((request, response) => {
    void readBody(request).then(() => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method === 'POST' && path === '/accounts') return json(response, 201, { id: randomUUID(), apiKey: `dpl_base_${randomBytes(12).toString('hex')}` });
      if (request.method === 'POST' && path === '/personas') return json(response, 201, { id: randomUUID() });
      if (request.method === 'POST' && path === '/conversations') {
        const id = randomUUID();
        conversations.add(id);
        return json(response, 201, { id });
      }
      if (request.method === 'GET' && (path === '/health/ready' || path === '/health/live')) return json(response, 200, { status: 'ready', baseline: true });
      json(response, 404, { code: 'ROUTE_NOT_FOUND', message: 'not a baseline route' });
    });
  });
  const flushTick = new SharedFlushTick(settings.chunkIntervalMs);
  const io = new Server<ChatClientToServerEvents, ChatServerToClientEvents>(http, { transports: ['websocket'], maxHttpBufferSize: 1_000_000 });
  const chat = io.of(CHAT_PATH);
  chat.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token === 'string' && token.startsWith('dpl_')) return next();
    next(Object.assign(new Error('A valid API key is required'), { data: { code: 'UNAUTHENTICATED' } }));
  });
  chat.on('connection', (socket) => {
    const timers = new Set<NodeJS.Timeout>();
    const flushes = new Set<() => void>();
    socket.on('disconnect', () => {
      timers.forEach((timer) => clearTimeout(timer));
      flushes.forEach((flush) => flushTick.cancel(flush));
    });
    socket.on('turn:send', (payload, ack: (result: TurnSendAck) => void) => {
      if (!payload || typeof payload.text !== 'string' || !conversations.has(payload.conversationId)) {
        return ack({ ok: false, error: { code: 'CONVERSATION_NOT_FOUND' as never, message: 'unknown conversation' } });
      }
      const turnId = randomUUID();
      const queuedAt = performance.now();
      ack({ ok: true, turnId, duplicate: false, verification: 'none' });
      const later = (ms: number, run: () => void) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          run();
        }, ms);
        timers.add(timer);
      };
      setImmediate(() => {
        socket.emit('turn:queued', { turnId, conversationId: payload.conversationId, clientTurnId: payload.clientTurnId });
        const tokens = syntheticReply(`${payload.conversationId}\u0000${payload.text}`, settings.maxTokens);
        // Same coalescing as the runtime's ChunkCoalescer: the first token at once, later ones on the next tick of
        // one clock that every stream shares.
        let seq = 0;
        let buffered = '';
        let firstTokenAt = 0;
        const flush = () => {
          flushTick.cancel(flush);
          if (!buffered) return;
          socket.emit('turn:token', { turnId, seq: seq++, text: buffered });
          buffered = '';
        };
        flushes.add(flush);
        const push = (text: string) => {
          buffered += text;
          if (seq === 0 || settings.chunkIntervalMs === 0) return flush();
          flushTick.schedule(flush);
        };
        const interTokenMs = 1000 / settings.tokensPerSecond;
        const emitToken = (index: number) => {
          if (index === 0) firstTokenAt = performance.now();
          push(tokens[index]!);
          if (index + 1 < tokens.length) return later(interTokenMs, () => emitToken(index + 1));
          flush();
          flushes.delete(flush);
          const finishedAt = performance.now();
          socket.emit('turn:done', {
            turnId,
            messageId: randomUUID(),
            userMessageId: randomUUID(),
            alternatives: 1,
            text: tokens.join(''),
            usage: { promptTokens: Math.ceil(payload.text.length / 4), completionTokens: tokens.length },
            timings: {
              queueWaitMs: 0,
              retrievalMs: 0,
              timeToFirstTokenMs: Math.round(firstTokenAt - queuedAt),
              generationMs: Math.round(finishedAt - queuedAt),
              totalMs: Math.round(finishedAt - queuedAt),
            },
            verification: null,
          });
        };
        later(settings.ttftMs, () => emitToken(0));
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        io.close();
        http.close(() => resolve());
      }),
  };
}

// As its own process: `node baseline-server.js [--port N] [--ttft-ms 150] [--tokens-per-second 50] [--chunk-ms 40] [--max-tokens 40]`.
if (require.main === module) {
  const arg = (name: string, fallback: number) => {
    const index = process.argv.indexOf(`--${name}`);
    return index === -1 ? fallback : Number(process.argv[index + 1]);
  };
  const settings: BaselineSettings = {
    ttftMs: arg('ttft-ms', 150),
    tokensPerSecond: arg('tokens-per-second', 50),
    chunkIntervalMs: arg('chunk-ms', 40),
    maxTokens: arg('max-tokens', 40),
  };
  void startBaselineServer(settings, arg('port', 0)).then(({ url, close }) => {
    console.log(`baseline server listening on ${url} (${JSON.stringify(settings)})`);
    process.send?.({ type: 'listening', url });
    const shutdown = () => void close().then(() => process.exit(0));
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
    process.on('disconnect', shutdown);
  });
}
