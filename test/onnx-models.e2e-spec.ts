// The shipped ONNX models on real nodes: a chat turn through doppel-nano-chat with doppel-embed-small memories,
// reproducible token ids across processes (also for the default doppel-mini-chat-2), refusal of tampered or
// template-less models, context overflow.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { memoriesSettled, testDatabase } from './support/database';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const NANO = join(ROOT, 'models', 'doppel-nano-chat');
const ONNX_ENV = { CHAT_MODELS: 'doppel-nano-chat,synthetic', EMBEDDING_MODEL: 'doppel-embed-small', DEFAULT_CHAT_MODEL: 'doppel-nano-chat' };

async function tryModel(seed: number, model = 'doppel-nano-chat', maxTokens = 24): Promise<{ text: string; trace: { outputTokenIds: number[]; promptTokenIds: number[] } }> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'dist/apps/cli/main.js'), 'models', 'try', model, '--seed', String(seed), '--max-tokens', String(maxTokens), 'Tell me about the sea.'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'error' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('shipped ONNX models', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let user: { id: string; apiKey: string };
  let operatorKey: string;
  let socket: ChatClient;
  let personaId: string;
  const extraWorkers: RunningProcess[] = [];
  let scratch: string;

  beforeAll(async () => {
    stack = await startStack(['onnx-a', 'onnx-b'], ONNX_ENV);
    db = testDatabase();
    user = await signUp(stack.url, 'Listener');
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Ops', ['consumer', 'creator', 'operator'])).apiKey;
    personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Nano', greeting: 'Hi.', generation: { maxTokens: 32 } })).body.id;
    socket = await connectChat(stack.url, user.apiKey);
    scratch = await mkdtemp(join(tmpdir(), 'doppel-models-'));
  }, 90_000);

  afterAll(async () => {
    socket?.close();
    for (const worker of extraWorkers) await worker.stop();
    await stack?.stop();
    await db?.destroy();
  });

  it('answers through doppel-nano-chat, storing token ids and 100-dimensional memories', async () => {
    const persona = await api(stack.url, user.apiKey)('GET', `/personas/${personaId}`);
    expect(persona.body.definition.defaultModel).toBe('doppel-nano-chat');
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    const result = await sendTurn(socket, { conversationId, text: 'Hello! What do you like to do?' }, 60_000);
    expect(result.done, JSON.stringify(result.error)).not.toBeNull();
    expect(result.done!.text.length).toBeGreaterThan(0);
    expect(result.tokens.map((token) => token.text).join('')).toBe(result.done!.text);
    const turn = await db.selectFrom('turns').selectAll().where('id', '=', (result.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(turn.model_id).toBe('doppel-nano-chat');
    expect(turn.output_token_ids!.length).toBe(result.done!.usage.completionTokens);
    expect(turn.prompt_token_ids!.length).toBe(result.done!.usage.promptTokens);
    await memoriesSettled(db);
    const dims = await db.selectFrom('memories').select(['embedding_model', 'embedding_dims']).where('conversation_id', '=', conversationId).execute();
    expect(dims).toEqual([
      { embedding_model: 'doppel-embed-small', embedding_dims: 100 },
      { embedding_model: 'doppel-embed-small', embedding_dims: 100 },
    ]);
  }, 90_000);

  it('gives the same token ids for the same seed in two separate processes', async () => {
    const [first, second, other] = await Promise.all([tryModel(42), tryModel(42), tryModel(7)]);
    expect(first.trace.outputTokenIds.length).toBeGreaterThan(0);
    expect(second.trace.outputTokenIds).toEqual(first.trace.outputTokenIds);
    expect(second.text).toBe(first.text);
    expect(other.trace.promptTokenIds).toEqual(first.trace.promptTokenIds);
    expect(other.trace.outputTokenIds).not.toEqual(first.trace.outputTokenIds);
  }, 90_000);

  it('the default doppel-mini-chat-2: the same reply for the same seed in two processes, in dictionary words', async () => {
    const [first, second] = await Promise.all([tryModel(42, 'doppel-mini-chat-2', 64), tryModel(42, 'doppel-mini-chat-2', 64)]);
    expect(second.trace.outputTokenIds).toEqual(first.trace.outputTokenIds);
    expect(second.text).toBe(first.text);
    const words = first.text.match(/[A-Za-z]+/g) ?? [];
    expect(words.length).toBeGreaterThan(3);
    const dictionary = new Set(createRequire(__filename)('an-array-of-english-words') as string[]);
    const known = words.filter((word) => dictionary.has(word.toLowerCase()) || /^[A-Z]/.test(word));
    expect(known.length / words.length, first.text).toBeGreaterThanOrEqual(0.9);
  }, 90_000);

  it('co-signs a reexec turn: a second node reproduces the model output exactly', async () => {
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId })).body.id;
    const result = await sendTurn(socket, { conversationId, text: 'Say something kind.', verification: 'signed+reexec' }, 60_000);
    expect(result.done!.verification).toMatchObject({ reexec: 'matched' });
    expect((result.done!.verification!.transcript as { input: { tokenIds: number[] } }).input.tokenIds.length).toBeGreaterThan(0);
  }, 90_000);

  it('keeps a prompt longer than the context window inside it, by the documented policy', async () => {
    const config = JSON.parse(await readFile(join(NANO, 'config.json'), 'utf8')) as { max_position_embeddings: number };
    const long = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Verbose', systemPrompt: 'Remember this. '.repeat(500), generation: { maxTokens: 16 } })).body.id;
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId: long })).body.id;
    const result = await sendTurn(socket, { conversationId, text: 'and now a question '.repeat(20) }, 60_000);
    expect(result.done).not.toBeNull();
    const turn = await db.selectFrom('turns').selectAll().where('id', '=', (result.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    // The assembler cuts persona text that does not fit from its end; the backend drops the oldest tokens of what
    // the chat template still makes too long.
    const system = (turn.prompt as { messages: { content: string }[] }).messages[0]!.content;
    expect(system.endsWith('[…]') || turn.truncated_prompt_tokens! > 0).toBe(true);
    expect(turn.prompt_token_ids!.length + turn.output_token_ids!.length).toBeLessThanOrEqual(config.max_position_embeddings);
  }, 90_000);

  it('refuses a model whose weights changed after registration, naming the file; the node serves the rest', async () => {
    const copy = join(scratch, 'tampered');
    await cp(NANO, copy, { recursive: true });
    expect((await api(stack.url, operatorKey)('POST', '/models', { id: 'nano-tampered', kind: 'chat', backend: 'onnx', location: copy })).status).toBe(201);
    const weights = join(copy, 'onnx', 'model.onnx');
    const bytes = await readFile(weights);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(weights, bytes);

    const worker = await startWorker('onnx-tamper', testEnv({ ...ONNX_ENV, CHAT_MODELS: 'nano-tampered,synthetic' }));
    extraWorkers.push(worker);
    expect(worker.output()).toMatch(/refused model nano-tampered: model nano-tampered refused: onnx\/model.onnx has sha256/);
    await waitFor(async () => {
      const ready = await api(stack.url)('GET', '/health/ready');
      const node = ready.body.workers.find((candidate: { nodeId: string }) => candidate.nodeId === 'onnx-tamper');
      return node && node.refusedModels.some((model: { modelId: string }) => model.modelId === 'nano-tampered') && !node.chatModels.some((model: { modelId: string }) => model.modelId === 'nano-tampered');
    }, 'the node to advertise the refusal');
    const tamperedPersona = (await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Tampered', defaultModel: 'nano-tampered' })).body.id;
    const conversationId = (await api(stack.url, user.apiKey)('POST', '/conversations', { personaId: tamperedPersona })).body.id;
    expect(await sendRaw(socket, { conversationId, text: 'hello', clientTurnId: 'tamper-1' })).toMatchObject({ ok: false, error: { code: ErrorCode.ModelUnavailable } });
  }, 90_000);

  it('refuses a model whose tokenizer has no chat template', async () => {
    const copy = join(scratch, 'no-template');
    await cp(NANO, copy, { recursive: true });
    const tokenizerConfig = JSON.parse(await readFile(join(copy, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    delete tokenizerConfig.chat_template;
    await writeFile(join(copy, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    expect((await api(stack.url, operatorKey)('POST', '/models', { id: 'nano-no-template', kind: 'chat', backend: 'onnx', location: copy })).status).toBe(201);
    const worker = await startWorker('onnx-notemplate', testEnv({ ...ONNX_ENV, CHAT_MODELS: 'nano-no-template,synthetic' }));
    extraWorkers.push(worker);
    expect(worker.output()).toMatch(/refused model nano-no-template: .*no chat_template/);
    const counts = await sql<{ count: string }>`SELECT count(*)::text AS count FROM models WHERE id = 'nano-no-template'`.execute(db);
    expect(counts.rows[0]!.count).toBe('1');
  }, 90_000);
});
