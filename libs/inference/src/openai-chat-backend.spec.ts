// Against a real HTTP server on 127.0.0.1 that speaks the OpenAI streaming protocol (or fails to).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatPrompt, SamplingParams } from './model-backend';
import { OpenAiChatBackend, openAiModelHash, UpstreamError } from './openai-chat-backend';

const PROMPT: ChatPrompt = { messages: [{ role: 'user', content: 'hi' }] };
const PARAMS: SamplingParams = { maxTokens: 16, temperature: 0.7, topP: 0.9, topK: 40, repetitionPenalty: 1.1, stop: [], seed: 7 };

let server: Server | null = null;
let requests: { body: Record<string, unknown>; authorization?: string }[] = [];

async function upstream(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  requests = [];
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push({ body: JSON.parse(body || '{}'), authorization: request.headers.authorization });
      handler(request, response);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`;
}

function sse(response: ServerResponse, events: string[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events) response.write(`data: ${event}\n\n`);
  response.end();
}

const delta = (content: string) => JSON.stringify({ choices: [{ delta: { content } }] });

async function collect(backend: OpenAiChatBackend, params = PARAMS): Promise<string> {
  let text = '';
  for await (const token of backend.generate(PROMPT, params, new AbortController().signal)) text += token.text;
  return text;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

describe('OpenAiChatBackend', () => {
  it('streams deltas, sends the model, parameters and key, and hashes the declared identity', async () => {
    const baseUrl = await upstream((_, response) => sse(response, [delta('Hel'), delta('lo'), JSON.stringify({ choices: [{ delta: {} }] }), '[DONE]']));
    const backend = new OpenAiChatBackend({ modelId: 'remote', baseUrl, upstreamModel: 'llama-3-8b', apiKey: 'sk-test', timeoutMs: 5000, contextWindow: 8192 });
    expect(await collect(backend)).toBe('Hello');
    expect(requests[0]!.body).toMatchObject({ model: 'llama-3-8b', stream: true, max_tokens: 16, temperature: 0.7, top_p: 0.9, seed: 7 });
    expect(requests[0]!.authorization).toBe('Bearer sk-test');
    expect(backend.modelHash).toBe(openAiModelHash(`${baseUrl}/`, 'llama-3-8b'));
    expect(backend.modelHash).not.toBe(openAiModelHash(baseUrl, 'llama-3-70b'));
  });

  it('applies stop sequences across deltas', async () => {
    const baseUrl = await upstream((_, response) => sse(response, [delta('one two'), delta(' thr'), delta('ee four'), '[DONE]']));
    const backend = new OpenAiChatBackend({ modelId: 'remote', baseUrl, upstreamModel: 'm', timeoutMs: 5000, contextWindow: 8192 });
    expect(await collect(backend, { ...PARAMS, stop: ['three'] })).toBe('one two ');
  });

  it('fails clearly on garbage, on an error status and on a stream cut short', async () => {
    const garbage = await upstream((_, response) => sse(response, ['{not json']));
    const backend = new OpenAiChatBackend({ modelId: 'remote', baseUrl: garbage, upstreamModel: 'm', timeoutMs: 5000, contextWindow: 8192 });
    await expect(collect(backend)).rejects.toThrow(UpstreamError);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const failing = await upstream((_, response) => {
      response.writeHead(500);
      response.end('overloaded');
    });
    await expect(collect(new OpenAiChatBackend({ modelId: 'r', baseUrl: failing, upstreamModel: 'm', timeoutMs: 5000, contextWindow: 8192 }))).rejects.toThrow(
      /answered 500: overloaded/,
    );
    expect(requests).toHaveLength(1);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const cut = await upstream((_, response) => sse(response, [delta('partial')]));
    await expect(collect(new OpenAiChatBackend({ modelId: 'r', baseUrl: cut, upstreamModel: 'm', timeoutMs: 5000, contextWindow: 8192 }))).rejects.toThrow(/without \[DONE\]/);
  });

  it('retries a refused connection, then gives up with a clear error', async () => {
    const baseUrl = await upstream(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
    const backend = new OpenAiChatBackend({ modelId: 'r', baseUrl, upstreamModel: 'm', timeoutMs: 5000, contextWindow: 8192, connectAttempts: 2 });
    await expect(collect(backend)).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1/);
  });

  it('times out an upstream that never answers', async () => {
    const baseUrl = await upstream(() => {});
    const backend = new OpenAiChatBackend({ modelId: 'r', baseUrl, upstreamModel: 'm', timeoutMs: 300, contextWindow: 8192 });
    await expect(collect(backend)).rejects.toThrow(/did not answer within 300 ms/);
  });
});
