// The OpenAI-compatible endpoint, driven by the official `openai` client and by plain `curl -N`: streaming and not,
// history and conversation_id, idempotency, receipts the verify CLI accepts, OpenAI-shaped errors, abort mid-stream.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import type { TurnVerification } from '@doppel/protocol';
import { api, signUp } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, waitFor, type Stack } from './support/processes';
import { withinOneRateWindow } from './support/rate-window';

const ROOT = resolve(__dirname, '..');
const run = promisify(execFile);

interface Doppel {
  turnId: string;
  conversationId: string;
  messageId: string;
  level: string;
  duplicate: boolean;
  verification: TurnVerification | null;
  timings: Record<string, number | null>;
}
type WithDoppel<T> = T & { doppel: Doppel };
type Params = OpenAI.ChatCompletionCreateParamsNonStreaming & { conversation_id?: string; verification?: string };
type StreamParams = OpenAI.ChatCompletionCreateParamsStreaming & { conversation_id?: string; verification?: string };

const client = (url: string, apiKey: string) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 });

async function complete(openai: OpenAI, params: Params, headers: Record<string, string> = {}) {
  return (await openai.chat.completions.create(params, { headers })) as WithDoppel<OpenAI.ChatCompletion>;
}

/** Reads a whole stream: the content deltas joined, every chunk, and the doppel extension of the last chunk. */
async function streamed(openai: OpenAI, params: StreamParams, headers: Record<string, string> = {}) {
  const stream = await openai.chat.completions.create(params, { headers });
  const chunks: WithDoppel<OpenAI.ChatCompletionChunk>[] = [];
  for await (const chunk of stream) chunks.push(chunk as WithDoppel<OpenAI.ChatCompletionChunk>);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
  return { chunks, text, doppel: chunks[chunks.length - 1]!.doppel };
}

/** The error an SDK call rejects with. */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

const turnsDone = async (url: string, operatorKey: string, level: string) => {
  const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${operatorKey}` } }).then((response) => response.text());
  const line = metrics.split('\n').find((entry) => entry.startsWith(`doppel_turns_total{level="${level}",status="done"}`));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('OpenAI-compatible API', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let operatorKey: string;
  let alice: { id: string; apiKey: string };
  let openai: OpenAI;
  let personaId: string;
  let scratch: string;
  let doneBefore: { none: number; signed: number };
  let v1TurnsAtNone = 0;
  let v1TurnsSigned = 0;

  beforeAll(async () => {
    stack = await startStack(['node-oa']);
    db = testDatabase();
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Operator', ['consumer', 'creator', 'operator'])).apiKey;
    doneBefore = { none: await turnsDone(stack.url, operatorKey, 'none'), signed: await turnsDone(stack.url, operatorKey, 'signed') };
    alice = await signUp(stack.url, 'Alice');
    openai = client(stack.url, alice.apiKey);
    personaId = (await api(stack.url, alice.apiKey)('POST', '/personas', { name: 'Orla', greeting: 'Hello there.' })).body.id;
    scratch = await mkdtemp(join(tmpdir(), 'doppel-openai-'));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await db?.destroy();
  });

  it('lists the personas the caller can chat with as models, and retrieves one', async () => {
    const models = [];
    for await (const model of openai.models.list()) models.push(model);
    expect(models.find((model) => model.id === personaId)).toMatchObject({ object: 'model', owned_by: 'you', name: 'Orla' });
    expect(await openai.models.retrieve(`persona:${personaId}`)).toMatchObject({ id: personaId, object: 'model' });
    const missing = await apiError(openai.models.retrieve(randomUUID()));
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.error).toMatchObject({ type: 'invalid_request_error', code: 'MODEL_NOT_FOUND', param: 'model' });
  });

  it('answers a non-streaming request with one chat.completion, the earlier messages becoming a new conversation', async () => {
    const completion = await complete(openai, {
      model: personaId,
      messages: [
        { role: 'user', content: 'My favourite colour is teal.' },
        { role: 'assistant', content: 'Teal is a fine colour.' },
        { role: 'user', content: [{ type: 'text', text: 'What did I say' }, { type: 'text', text: 'about colours?' }] },
      ],
    });
    v1TurnsAtNone++;
    expect(completion).toMatchObject({ object: 'chat.completion', model: personaId, id: `chatcmpl-${completion.doppel.turnId}` });
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant' } });
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(completion.doppel).toMatchObject({ level: 'none', duplicate: false, verification: null });
    // Same turn path: a node recorded every stage's timing.
    expect(completion.doppel.timings.timeToFirstTokenMs).not.toBeNull();

    const messages = await api(stack.url, alice.apiKey)('GET', `/conversations/${completion.doppel.conversationId}/messages`);
    expect(messages.body.items.map((message: { role: string; content: string }) => [message.role, message.content])).toEqual([
      ['user', 'My favourite colour is teal.'],
      ['assistant', 'Teal is a fine colour.'],
      ['user', 'What did I say\nabout colours?'],
      ['assistant', completion.choices[0]!.message.content],
    ]);
    const turn = await db.selectFrom('turns').select(['worker_id', 'status', 'prompt']).where('id', '=', completion.doppel.turnId).executeTakeFirstOrThrow();
    expect(turn).toMatchObject({ worker_id: 'node-oa', status: 'done' });
    expect(JSON.stringify(turn.prompt)).toContain('Teal is a fine colour.');
  });

  let streamedTurn: { conversationId: string; text: string };
  it('streams chat.completion.chunk events whose last chunk carries a receipt the verify CLI accepts', async () => {
    const { chunks, text, doppel } = await streamed(openai, { model: `persona:${personaId}`, messages: [{ role: 'user', content: 'Prove what you say.' }], stream: true }, { 'X-Doppel-Verification': 'signed' });
    v1TurnsSigned++;
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === `chatcmpl-${doppel.turnId}`)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[chunks.length - 1]!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.slice(0, -1).every((chunk) => chunk.doppel === undefined)).toBe(true);
    expect(doppel.level).toBe('signed');
    const verification = doppel.verification!;
    expect((verification.transcript as { output: { text: string } }).output.text).toBe(text);

    const nodes = (await api(stack.url, operatorKey)('GET', '/nodes')).body as { address: string }[];
    const file = join(scratch, 'receipt.json');
    await writeFile(file, JSON.stringify(verification));
    const cli = await run(process.execPath, [join(ROOT, 'dist/apps/verify/main.js'), file, '--nodes', nodes.map((node) => node.address).join(',')]);
    expect(cli.stdout).toContain('VALID');
    expect(cli.stdout).not.toContain('INVALID');
    // A transcript that does not match the receipt fails the same check.
    await writeFile(file, JSON.stringify({ ...verification, transcript: { ...verification.transcript, output: { text: `${text} (edited)`, tokenIds: null } } }));
    const tampered = await run(process.execPath, [join(ROOT, 'dist/apps/verify/main.js'), file, '--nodes', nodes.map((node) => node.address).join(',')]).catch((error: { stdout: string; code: number }) => error);
    expect((tampered as { code?: number }).code).toBe(1);
    streamedTurn = { conversationId: doppel.conversationId, text };
  });

  it('continues a stored conversation with conversation_id, its earlier turns in the context', async () => {
    const completion = await complete(openai, {
      model: personaId,
      messages: [{ role: 'user', content: 'And what comes next?' }],
      conversation_id: streamedTurn.conversationId,
      verification: 'signed',
    });
    v1TurnsSigned++;
    expect(completion.doppel.conversationId).toBe(streamedTurn.conversationId);
    const input = (completion.doppel.verification!.transcript as { input: { messages: { content: string }[] } }).input.messages;
    expect(input.some((message) => message.content.includes(streamedTurn.text))).toBe(true);
    const messages = await api(stack.url, alice.apiKey)('GET', `/conversations/${streamedTurn.conversationId}/messages`);
    expect(messages.body.items).toHaveLength(4);
  });

  it('maps Idempotency-Key to clientTurnId: a resend returns the same turn, streamed or not, new conversation or continued', async () => {
    const key = `key-${randomUUID()}`;
    const params: Params = { model: personaId, messages: [{ role: 'user', content: 'Say it once.' }] };
    const first = await complete(openai, params, { 'Idempotency-Key': key });
    v1TurnsAtNone++;
    const again = await complete(openai, params, { 'Idempotency-Key': key });
    expect(again.id).toBe(first.id);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(again.doppel).toMatchObject({ turnId: first.doppel.turnId, conversationId: first.doppel.conversationId, duplicate: true });
    const replayed = await streamed(openai, { ...params, stream: true }, { 'Idempotency-Key': key });
    expect(replayed.text).toBe(first.choices[0]!.message.content);
    expect(replayed.doppel).toMatchObject({ turnId: first.doppel.turnId, duplicate: true });
    const turns = await db.selectFrom('turns').select('id').where('consumer_id', '=', alice.id).where('client_turn_id', '=', key).execute();
    expect(turns).toHaveLength(1);

    // Two racing requests with one key make one turn.
    const raceKey = `race-${randomUUID()}`;
    const [a, b] = await Promise.all([complete(openai, params, { 'Idempotency-Key': raceKey }), complete(openai, params, { 'Idempotency-Key': raceKey })]);
    v1TurnsAtNone++;
    expect(a.doppel.turnId).toBe(b.doppel.turnId);
    expect([a.doppel.duplicate, b.doppel.duplicate].sort()).toEqual([false, true]);

    const continued = { ...params, conversation_id: first.doppel.conversationId, messages: [{ role: 'user' as const, content: 'Once more.' }] };
    const next = await complete(openai, continued, { 'Idempotency-Key': `${key}-2` });
    v1TurnsAtNone++;
    expect((await complete(openai, continued, { 'Idempotency-Key': `${key}-2` })).doppel).toMatchObject({ turnId: next.doppel.turnId, duplicate: true });
  });

  it("counts these turns in the turn metrics (it is the socket's turn path)", async () => {
    await waitFor(async () => (await turnsDone(stack.url, operatorKey, 'none')) >= doneBefore.none + v1TurnsAtNone, 'level none turns in /metrics');
    expect(await turnsDone(stack.url, operatorKey, 'signed')).toBeGreaterThanOrEqual(doneBefore.signed + v1TurnsSigned);
  });

  it('answers errors in OpenAI’s shape with the right status', async () => {
    const unauthenticated = await apiError(client(stack.url, 'dpl_not-a-key').chat.completions.create({ model: personaId, messages: [{ role: 'user', content: 'hi' }] }));
    expect(unauthenticated).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthenticated.error).toMatchObject({ type: 'authentication_error', code: 'UNAUTHENTICATED' });

    const unknownModel = await apiError(complete(openai, { model: 'persona:nobody', messages: [{ role: 'user', content: 'hi' }] }));
    expect(unknownModel).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknownModel.error).toMatchObject({ code: 'MODEL_NOT_FOUND', param: 'model' });

    const cases: [Params, string][] = [
      [{ model: personaId, messages: [] }, 'messages'],
      [{ model: personaId, messages: [{ role: 'system', content: 'Be a pirate.' }, { role: 'user', content: 'hi' }] }, 'messages.0.role'],
      [{ model: personaId, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }, 'messages.1.role'],
      [{ model: personaId, messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'n'],
      [{ model: personaId, messages: [{ role: 'user', content: 'hi' }], verification: 'notarised' }, 'verification'],
      [{ model: personaId, messages: [{ role: 'user', content: 'hi' }], conversation_id: randomUUID() }, 'conversation_id'],
    ];
    for (const [params, param] of cases) {
      const error = await apiError(complete(openai, params));
      expect([400, 404], param).toContain(error.status);
      expect(error.error, param).toMatchObject({ type: 'invalid_request_error', param });
    }
    const badHeader = await apiError(complete(openai, { model: personaId, messages: [{ role: 'user', content: 'hi' }] }, { 'X-Doppel-Verification': 'lots' }));
    expect(badHeader).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badHeader.error).toMatchObject({ param: 'X-Doppel-Verification' });
    const rawBody = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${alice.apiKey}`, 'content-type': 'application/json' }, body: '{"model":' });
    expect(rawBody.status).toBe(400);
    expect(await rawBody.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'VALIDATION_FAILED' } });
  });

  it('fails loudly when the verification level cannot be met, and leaves nothing behind', async () => {
    const conversationsBefore = await db.selectFrom('conversations').select('id').where('consumer_id', '=', alice.id).execute();
    for (const stream of [false, true]) {
      const refused = await apiError(
        openai.chat.completions.create({ model: personaId, messages: [{ role: 'user', content: 'Re-run this.' }], stream } as Params, { headers: { 'X-Doppel-Verification': 'signed+reexec' } }),
      );
      expect(refused.status).toBe(503);
      expect(refused.error).toMatchObject({ type: 'server_error', code: 'VERIFICATION_UNAVAILABLE' });
    }
    const conversationsAfter = await db.selectFrom('conversations').select('id').where('consumer_id', '=', alice.id).execute();
    expect(conversationsAfter).toHaveLength(conversationsBefore.length);
  });
});

describe('OpenAI-compatible API under limits', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Slow tokens so a stream is still running when it is aborted; two turns in flight at most; two turns a minute a key.
    stack = await startStack(['node-ob'], { SYNTHETIC_TOKENS_PER_SECOND: '25', ADMISSION_MAX_TURNS_IN_FLIGHT: '2', ADMISSION_MAX_LOOP_DELAY_MS: '60000', RATE_TURNS_PER_MINUTE: '2' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const newUser = async (name: string) => {
    const user = await signUp(stack.url, name);
    const personaId = (await api(stack.url, user.apiKey)('POST', '/personas', { name: `${name}'s twin` })).body.id as string;
    return { ...user, personaId, openai: client(stack.url, user.apiKey) };
  };

  it('survives a client that aborts mid-stream: the turn completes and is stored, the gateway keeps serving', async () => {
    const user = await newUser('Quitter');
    const controller = new AbortController();
    const { data: stream, response } = await user.openai.chat.completions
      .create({ model: user.personaId, messages: [{ role: 'user', content: 'Tell me a long story.' }], stream: true }, { signal: controller.signal })
      .withResponse();
    const turnId = response.headers.get('x-doppel-turn-id')!;
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (received.length > 0) {
        controller.abort();
        break;
      }
    }
    const turn = await waitFor(async () => {
      const stored = await api(stack.url, user.apiKey)('GET', `/turns/${turnId}`);
      return stored.body.status === 'done' ? stored.body : null;
    }, 'the aborted turn to finish', 15_000);
    expect(turn.done.text.length).toBeGreaterThan(received.length);
    expect(turn.done.text.startsWith(received)).toBe(true);
    // The gateway still answers, on the same key (the aborted stream no longer counts as in flight).
    const after = await user.openai.chat.completions.create({ model: user.personaId, messages: [{ role: 'user', content: 'Still there?' }] });
    expect(after.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('streams with plain curl -N, chunk by chunk, ending with data: [DONE]', async () => {
    const user = await newUser('Curler');
    const started = Date.now();
    const arrivals: { at: number; text: string }[] = [];
    const output = await new Promise<string>((resolveCurl, rejectCurl) => {
      const curl = spawn('curl', [
        '-sS', '-N', `${stack.url}/v1/chat/completions`,
        '-H', `Authorization: Bearer ${user.apiKey}`, '-H', 'Content-Type: application/json',
        '-d', JSON.stringify({ model: user.personaId, messages: [{ role: 'user', content: 'Hello from curl' }], stream: true }),
      ]);
      let text = '';
      curl.stdout.on('data', (data: Buffer) => {
        text += data.toString();
        arrivals.push({ at: Date.now() - started, text: data.toString() });
      });
      curl.stderr.on('data', (data: Buffer) => (text += data.toString()));
      curl.once('error', rejectCurl);
      curl.once('exit', (code) => (code === 0 ? resolveCurl(text) : rejectCurl(new Error(`curl exited ${code}: ${text}`))));
    });
    const events = output.split('\n\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)) as WithDoppel<OpenAI.ChatCompletionChunk>);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(chunks[chunks.length - 1]!.doppel.turnId).toBeTruthy();
    const stored = await api(stack.url, user.apiKey)('GET', `/turns/${chunks[0]!.id.slice('chatcmpl-'.length)}`);
    expect(stored.body.done.text).toBe(text);
    // Tokens arrived as they were made (25 a second), not in one piece at the end.
    expect(arrivals.length).toBeGreaterThan(3);
    expect(arrivals[arrivals.length - 1]!.at - arrivals[0]!.at).toBeGreaterThan(200);
  });

  it('answers 503 OVERLOADED with Retry-After at capacity, and 429 past the rate limit', async () => {
    await withinOneRateWindow();
    const db = testDatabase();
    const operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Admission watcher', ['consumer', 'creator', 'operator'])).apiKey;
    await db.destroy();
    const admission = async () => (await api(stack.url, operatorKey)('GET', '/operator/admission')).body as { limit: number; inFlight: number; turnsRefused: number };
    const before = await admission();
    expect(before.limit).toBe(2);
    const user = await newUser('Crowd');
    const holders = await Promise.all(
      [0, 1].map(async (index) => {
        const stream = await user.openai.chat.completions.create({ model: user.personaId, messages: [{ role: 'user', content: `hold ${index}` }], stream: true });
        const iterator = stream[Symbol.asyncIterator]();
        await iterator.next();
        return iterator;
      }),
    );
    const overloaded = await apiError(user.openai.chat.completions.create({ model: user.personaId, messages: [{ role: 'user', content: 'one too many' }] }));
    expect(overloaded.status).toBe(503);
    expect(overloaded.error).toMatchObject({ type: 'server_error', code: 'OVERLOADED' });
    expect(Number(overloaded.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The operator's view of the same moment: both places taken, the refusal counted.
    expect(await admission()).toMatchObject({ limit: 2, inFlight: 2, turnsRefused: before.turnsRefused + 1 });
    for (const iterator of holders) while (!(await iterator.next()).done);

    // Two turns a minute on this key: both holders counted; the next is 429 with Retry-After.
    const limited = await apiError(user.openai.chat.completions.create({ model: user.personaId, messages: [{ role: 'user', content: 'again' }] }));
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.error).toMatchObject({ type: 'rate_limit_error', code: 'RATE_LIMITED' });
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
