// `npm run chat -- [--persona <id>] [--url <gateway>] [message…]`: streams a persona's reply in the terminal.
// With a message it sends one turn and exits; without one it reads lines from stdin until EOF.
// With --via-relay <URL> (repeatable) the chat goes through Oblivious HTTP instead (private-chat.command.ts).
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { io, type Socket } from 'socket.io-client';
import { CHAT_NAMESPACE, type ChatClientToServerEvents, type ChatServerToClientEvents, type TurnSendAck } from '@doppel/protocol';
import { readDemoCredentials } from './demo-credentials';
import { defaultPins, runPrivateChat, type PrivateChatOptions } from './private-chat.command';

type ChatClient = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

/** The same options a private chat takes: --via-relay only changes the path. */
type ChatOptions = PrivateChatOptions;

async function parseOptions(args: string[]): Promise<ChatOptions> {
  const demo = await readDemoCredentials();
  let url = process.env.DOPPEL_URL ?? 'http://127.0.0.1:3000';
  let personaId = demo?.personaId ?? '';
  const words: string[] = [];
  const relays: string[] = [];
  const pins: string[] = [];
  let keysSource: string | null = null;
  let anonymous = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--persona') personaId = args[++i] ?? '';
    else if (arg === '--url') url = args[++i] ?? url;
    else if (arg === '--via-relay') relays.push(args[++i] ?? '');
    else if (arg === '--pin') pins.push(args[++i] ?? '');
    else if (arg === '--ohttp-keys') keysSource = args[++i] ?? null;
    else if (arg === '--anonymous') anonymous = true;
    else words.push(arg);
  }
  const apiKey = process.env.DOPPEL_API_KEY ?? demo?.apiKey;
  if (!apiKey) throw new Error('No API key: run `npm run seed` (writes the demo key) or set DOPPEL_API_KEY.');
  if (!personaId) throw new Error('No persona: pass --persona <id>, or run `npm run seed` for the demo persona.');
  if (relays.some((relay) => !/^https?:\/\//.test(relay))) throw new Error('--via-relay takes a relay URL (http://… or https://…)');
  return {
    url,
    apiKey,
    personaId,
    message: words.length > 0 ? words.join(' ') : null,
    relays,
    pins: pins.length > 0 ? pins : await defaultPins(),
    keysSource,
    anonymous,
  };
}

async function request<T>(options: ChatOptions, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, options.url), {
    method,
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { code?: string; message?: string };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${payload.code}: ${payload.message}`);
  return payload;
}

function sendTurn(socket: ChatClient, conversationId: string, text: string, personaName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let turnId: string | null = null;
    let expectedSeq = 0;
    const cleanup = () => {
      socket.off('turn:token', onToken);
      socket.off('turn:done', onDone);
      socket.off('turn:error', onError);
      socket.off('turn:restarted', onRestarted);
    };
    const onToken = (event: { turnId: string; seq: number; text: string }) => {
      if (event.turnId !== turnId) return;
      if (event.seq !== expectedSeq) process.stderr.write(`\n[warning: chunk ${event.seq} arrived, expected ${expectedSeq}]\n`);
      expectedSeq = event.seq + 1;
      process.stdout.write(event.text);
    };
    const onRestarted = (event: { turnId: string; attempt: number }) => {
      if (event.turnId !== turnId) return;
      expectedSeq = 0;
      process.stdout.write(`\n[node restarted the reply, attempt ${event.attempt}]\n${personaName}: `);
    };
    const onDone = (event: { turnId: string; timings: { timeToFirstTokenMs: number | null; totalMs: number | null } }) => {
      if (event.turnId !== turnId) return;
      cleanup();
      process.stdout.write(`\n  (first token ${event.timings.timeToFirstTokenMs} ms, total ${event.timings.totalMs} ms)\n`);
      resolve();
    };
    const onError = (event: { turnId: string; code: string; message: string }) => {
      if (event.turnId !== turnId) return;
      cleanup();
      reject(new Error(`${event.code}: ${event.message}`));
    };
    socket.on('turn:token', onToken);
    socket.on('turn:done', onDone);
    socket.on('turn:error', onError);
    socket.on('turn:restarted', onRestarted);
    process.stdout.write(`${personaName}: `);
    socket.emit('turn:send', { conversationId, text, clientTurnId: randomUUID() }, (ack: TurnSendAck) => {
      if (ack.ok) turnId = ack.turnId;
      else {
        cleanup();
        reject(new Error(`${ack.error.code}: ${ack.error.message}`));
      }
    });
  });
}

export async function runChat(args: string[]): Promise<void> {
  const options = await parseOptions(args);
  if (options.relays.length > 0) return runPrivateChat(options);
  const persona = await request<{ definition: { name: string } }>(options, 'GET', `/personas/${options.personaId}`);
  const conversation = await request<{ id: string }>(options, 'POST', '/conversations', { personaId: options.personaId });
  const messages = await request<{ items: { role: string; content: string }[] }>(options, 'GET', `/conversations/${conversation.id}/messages`);
  const name = persona.definition.name;
  for (const message of messages.items) console.log(`${message.role === 'assistant' ? name : 'you'}: ${message.content}`);

  const socket: ChatClient = io(`${options.url}${CHAT_NAMESPACE}`, { auth: { token: options.apiKey }, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(new Error(`cannot connect to ${options.url}: ${error.message}`)));
  });
  try {
    if (options.message !== null) {
      console.log(`you: ${options.message}`);
      await sendTurn(socket, conversation.id, options.message, name);
      return;
    }
    const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
    console.log('(type a message and press Enter; Ctrl-D to quit)');
    for await (const line of lines) {
      if (line.trim()) await sendTurn(socket, conversation.id, line, name).catch((error: Error) => console.error(`\n${error.message}`));
    }
  } finally {
    socket.close();
  }
}
