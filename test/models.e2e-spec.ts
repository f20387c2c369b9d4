// The model registry and per-model routing, through real gateway and worker processes.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import { SYNTHETIC_MODEL_HASH } from '@doppel/inference';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendRaw, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

describe('model registry and routing', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let operatorKey: string;
  let user: { id: string; apiKey: string };
  let socket: ChatClient;
  let extraWorker: RunningProcess | null = null;
  let garbageUpstream: Server;
  let garbageUrl: string;

  beforeAll(async () => {
    stack = await startStack(['node-m'], { CHAT_MODELS: 'synthetic' });
    db = testDatabase();
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Operator', ['consumer', 'creator', 'operator'])).apiKey;
    user = await signUp(stack.url, 'User');
    socket = await connectChat(stack.url, user.apiKey);
    // An "OpenAI-compatible" upstream on 127.0.0.1 that answers with garbage.
    garbageUpstream = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('data: {"this is": not json}\n\n');
    });
    await new Promise<void>((resolve) => garbageUpstream.listen(0, '127.0.0.1', resolve));
    garbageUrl = `http://127.0.0.1:${(garbageUpstream.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    socket?.close();
    await extraWorker?.stop();
    await stack?.stop();
    await db?.destroy();
    await new Promise<void>((resolve) => garbageUpstream?.close(() => resolve()));
  });

  it('lists the built-in models with their content hashes', async () => {
    const response = await api(stack.url, user.apiKey)('GET', '/models');
    expect(response.status).toBe(200);
    const synthetic = response.body.find((model: { id: string }) => model.id === 'synthetic');
    expect(synthetic).toMatchObject({ kind: 'chat', backend: 'synthetic', contentHash: SYNTHETIC_MODEL_HASH });
    expect(response.body.find((model: { id: string }) => model.id === 'hashing-384')).toMatchObject({ kind: 'embedding', dimensions: 384 });
  });

  it('lets only operators register models, and validates what they send', async () => {
    const body = { id: 'remote-garbage', kind: 'chat', backend: 'openai', location: garbageUrl, parameters: { upstreamModel: 'whatever', timeoutMs: 2000 } };
    expect(await api(stack.url, user.apiKey)('POST', '/models', body)).toMatchObject({ status: 403, body: { code: ErrorCode.Forbidden } });
    const created = await api(stack.url, operatorKey)('POST', '/models', body);
    expect(created.status).toBe(201);
    expect(created.body.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await api(stack.url, operatorKey)('POST', '/models', body)).toMatchObject({ status: 409, body: { code: ErrorCode.ModelExists } });
    expect(await api(stack.url, operatorKey)('POST', '/models', { ...body, id: 'Bad Id' })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
    expect(await api(stack.url, operatorKey)('POST', '/models', { id: 'missing', kind: 'chat', backend: 'onnx', location: '/nonexistent/folder' })).toMatchObject({
      status: 400,
      body: { code: ErrorCode.ModelInvalid },
    });
    expect(await api(stack.url, user.apiKey)('GET', '/models/unknown-model')).toMatchObject({ status: 404, body: { code: ErrorCode.ModelNotFound } });
  });

  it('refuses personas on models that are not registered chat models', async () => {
    const call = api(stack.url, user.apiKey);
    expect(await call('POST', '/personas', { name: 'X', defaultModel: 'no-such-model' })).toMatchObject({ status: 400, body: { code: ErrorCode.ModelInvalid } });
    expect(await call('POST', '/personas', { name: 'X', defaultModel: 'hashing-384' })).toMatchObject({ status: 400, body: { code: ErrorCode.ModelInvalid } });
  });

  it('fails a turn fast with MODEL_UNAVAILABLE when no live node serves the persona model, storing nothing', async () => {
    const call = api(stack.url, user.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Remote', defaultModel: 'remote-garbage' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const started = Date.now();
    const ack = await sendRaw(socket, { conversationId, text: 'hello', clientTurnId: randomUUID() });
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.ModelUnavailable } });
    expect(Date.now() - started).toBeLessThan(2000);
    const turns = await db.selectFrom('turns').select('id').where('conversation_id', '=', conversationId).execute();
    expect(turns).toEqual([]);
  });

  it("routes a model's turns only to nodes serving it; an upstream answering garbage fails the turn, and the node keeps serving", async () => {
    extraWorker = await startWorker('node-remote', testEnv({ CHAT_MODELS: 'remote-garbage,synthetic' }));
    await waitFor(async () => {
      const ready = await api(stack.url)('GET', '/health/ready');
      return ready.body.workers.some((node: { nodeId: string; chatModels: { modelId: string }[] }) =>
        node.nodeId === 'node-remote' && node.chatModels.some((model) => model.modelId === 'remote-garbage'),
      );
    }, 'node-remote to advertise remote-garbage');

    const call = api(stack.url, user.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Remote 2', defaultModel: 'remote-garbage' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const failed = await sendTurn(socket, { conversationId, text: 'hello upstream' });
    expect(failed.error).toMatchObject({ code: ErrorCode.ModelFailed });
    const turn = await db.selectFrom('turns').selectAll().where('id', '=', (failed.ack as { turnId: string }).turnId).executeTakeFirstOrThrow();
    expect(turn).toMatchObject({ status: 'failed', worker_id: 'node-remote', model_id: 'remote-garbage' });

    const syntheticPersona = (await call('POST', '/personas', { name: 'Local', defaultModel: 'synthetic' })).body.id;
    const localConversations = await Promise.all(Array.from({ length: 6 }, async () => (await call('POST', '/conversations', { personaId: syntheticPersona })).body.id));
    const results = await Promise.all(localConversations.map((conversationId, n) => sendTurn(socket, { conversationId, text: `still there ${n}?` })));
    for (const result of results) expect(result.done).not.toBeNull();
  });
});
