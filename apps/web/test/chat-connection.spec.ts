// The page's chat socket against a socket.io server that speaks the chat events as the gateway does, so that a
// resume can be refused on demand: a passing refusal is asked again, a final one ends the reply with its error.
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatConnection, type TurnListener } from '../src/chat-connection';

/** 'silent': the gateway never answers (a lost ack). */
type ResumeAnswer = { ok: true; status: 'running' } | { ok: false; error: { code: string; message: string; details?: unknown } } | 'silent';

interface ListenerLog {
  texts: string[];
  done: number;
  errors: { code: string; message: string }[];
}

function recordingListener(log: ListenerLog): TurnListener {
  return {
    onQueued: () => {},
    onText: (text) => log.texts.push(text),
    onRestarted: () => {},
    onDone: () => log.done++,
    onError: (error) => log.errors.push(error),
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ChatConnection resume', () => {
  let server: Server;
  let url: string;
  let connection: ChatConnection | undefined;
  /** What the server answers to each turn:resume, in order; the last one repeats. */
  let resumeAnswers: ResumeAnswer[];
  let resumeRequests: { afterSeq: number; at: number }[];
  const CHUNKS = ['Hello', ', ', 'world', '.'];

  beforeEach(async () => {
    resumeAnswers = [];
    resumeRequests = [];
    server = new Server();
    const chat = server.of('/chat');
    chat.on('connection', (socket: Socket) => {
      socket.on('turn:send', (_payload, ack) => {
        ack({ ok: true, turnId: 'turn-1', duplicate: false, verification: 'signed' });
        // The first two chunks, then the connection drops before the rest.
        setTimeout(() => {
          socket.emit('turn:token', { turnId: 'turn-1', seq: 0, text: CHUNKS[0] });
          socket.emit('turn:token', { turnId: 'turn-1', seq: 1, text: CHUNKS[1] });
        }, 10);
      });
      socket.on('turn:resume', ({ afterSeq }: { afterSeq: number }, ack: (answer: ResumeAnswer) => void) => {
        resumeRequests.push({ afterSeq, at: Date.now() });
        const answer = resumeAnswers[Math.min(resumeRequests.length - 1, resumeAnswers.length - 1)]!;
        if (answer === 'silent') return;
        ack(answer);
        if (!answer.ok) return;
        setTimeout(() => {
          for (let seq = afterSeq + 1; seq < CHUNKS.length; seq++) socket.emit('turn:token', { turnId: 'turn-1', seq, text: CHUNKS[seq] });
          socket.emit('turn:done', { turnId: 'turn-1' });
        }, 10);
      });
    });
    await new Promise<void>((resolve) => {
      server.listen(0);
      resolve();
    });
    url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/chat`;
  });

  afterEach(async () => {
    connection?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function sendAndDrop(log: ListenerLog): Promise<void> {
    connection = new ChatConnection('key', () => {}, { url, ackTimeoutMs: 300 });
    const ack = await connection.send('conversation-1', 'hi', 'signed', recordingListener(log));
    expect(ack.ok).toBe(true);
    await until(() => log.texts.length === 2);
    connection.dropConnection();
  }

  it('asks again after a passing refusal, waiting the time the refusal gives, and renders the whole reply once', async () => {
    resumeAnswers = [
      { ok: false, error: { code: 'INTERNAL', message: 'turn:resume could not be handled; try again.' } },
      { ok: false, error: { code: 'OVERLOADED', message: 'at capacity', details: { retryAfterSeconds: 1 } } },
      { ok: true, status: 'running' },
    ];
    const log: ListenerLog = { texts: [], done: 0, errors: [] };
    await sendAndDrop(log);
    await until(() => log.done === 1);

    expect(log.errors).toEqual([]);
    expect(log.texts.at(-1)).toBe(CHUNKS.join(''));
    expect(resumeRequests.map((request) => request.afterSeq)).toEqual([1, 1, 1]);
    // The overloaded refusal asked for a second; the INTERNAL one gets the first pause of half a second.
    expect(resumeRequests[1].at - resumeRequests[0].at).toBeGreaterThanOrEqual(450);
    expect(resumeRequests[2].at - resumeRequests[1].at).toBeGreaterThanOrEqual(950);
  });

  it('asks again when a resume goes unanswered', async () => {
    resumeAnswers = ['silent', { ok: true, status: 'running' }];
    const log: ListenerLog = { texts: [], done: 0, errors: [] };
    await sendAndDrop(log);
    await until(() => log.done === 1);

    expect(log.errors).toEqual([]);
    expect(log.texts.at(-1)).toBe(CHUNKS.join(''));
    expect(resumeRequests).toHaveLength(2);
  });

  it('ends the reply with the refusal when the turn cannot be resumed, without asking again', async () => {
    resumeAnswers = [{ ok: false, error: { code: 'TURN_NOT_FOUND', message: 'Turn turn-1 does not exist or is not yours.' } }];
    const log: ListenerLog = { texts: [], done: 0, errors: [] };
    await sendAndDrop(log);
    await until(() => log.errors.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 700));

    expect(log.errors[0].code).toBe('TURN_NOT_FOUND');
    expect(resumeRequests).toHaveLength(1);
    expect(log.done).toBe(0);
  });

  it('gives up with the last refusal after five passing refusals in a row', async () => {
    resumeAnswers = [{ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down', details: { retryAfterSeconds: 0.05 } } }];
    const log: ListenerLog = { texts: [], done: 0, errors: [] };
    await sendAndDrop(log);
    await until(() => log.errors.length === 1);

    expect(resumeRequests).toHaveLength(5);
    expect(log.errors[0].code).toBe('RATE_LIMITED');
  });
});
