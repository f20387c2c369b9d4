import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ChatPrompt, GeneratedToken, SamplingParams } from './model-backend';
import { SyntheticChatBackend, SyntheticFaultError } from './synthetic-backend';

// No time to first token and sub-millisecond token gaps: the tests measure tokens, not speed.
const FAST = { ttftMs: 0, tokensPerSecond: 1_000_000 };

const prompt: ChatPrompt = {
  messages: [
    { role: 'system', content: 'You are Ada. Stay in character.' },
    { role: 'user', content: 'Tell me about your day.' },
  ],
};

function params(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return { maxTokens: 256, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [], seed: 7, ...overrides };
}

async function collect(
  backend: SyntheticChatBackend,
  input: ChatPrompt,
  sampling: SamplingParams,
  signal = new AbortController().signal,
): Promise<GeneratedToken[]> {
  const tokens: GeneratedToken[] = [];
  for await (const token of backend.generate(input, sampling, signal)) tokens.push(token);
  return tokens;
}

const joined = (tokens: GeneratedToken[]) => tokens.map((token) => token.text).join('');

/** Resolves to 'pending' if `promise` has not settled once every queued microtask has run. */
function settledState(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
  ]);
}

describe('SyntheticChatBackend', () => {
  it('gives the same tokens for the same prompt, params and seed, on any instance', async () => {
    const first = await collect(new SyntheticChatBackend(FAST), prompt, params());
    const second = await collect(new SyntheticChatBackend(FAST), structuredClone(prompt), params());
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('gives different text for a different seed or a different prompt', async () => {
    const backend = new SyntheticChatBackend(FAST);
    const texts = new Set<string>();
    for (const seed of [1, 2, 3, 4]) texts.add(joined(await collect(backend, prompt, params({ seed }))));
    expect(texts.size).toBe(4);

    const otherPrompt: ChatPrompt = { messages: [...prompt.messages.slice(0, 1), { role: 'user', content: 'What is your favourite book?' }] };
    expect(joined(await collect(backend, otherPrompt, params()))).not.toBe(joined(await collect(backend, prompt, params())));
  });

  it('emits English-looking words: one sentence, capitalised, ending in a full stop', async () => {
    const text = joined(await collect(new SyntheticChatBackend(FAST), prompt, params()));
    expect(text).toMatch(/^[A-Z][a-z]*( [A-Za-z]+)*\.$/);
  });

  it('never emits more than maxTokens tokens', async () => {
    const backend = new SyntheticChatBackend(FAST);
    const unlimited = await collect(backend, prompt, params({ maxTokens: 4096 }));
    for (const maxTokens of [1, 3, 10]) {
      const tokens = await collect(backend, prompt, params({ maxTokens }));
      expect(tokens).toHaveLength(Math.min(maxTokens, unlimited.length));
    }
  });

  it('cuts the output before the earliest stop sequence and does not emit it', async () => {
    const backend = new SyntheticChatBackend(FAST);
    const tokens = await collect(backend, prompt, params());
    const fullText = joined(tokens);
    expect(tokens.length).toBeGreaterThan(6);
    // Every token after the first is " word"; a stop that is one whole token cannot straddle two tokens.
    const earlyStop = tokens[3]!.text;
    const lateStop = tokens[5]!.text.replace('.', '');
    const expected = fullText.slice(0, fullText.indexOf(earlyStop));

    const stopped = joined(await collect(backend, prompt, params({ stop: [lateStop, earlyStop] })));
    expect(stopped).toBe(expected);
    expect(stopped).not.toContain(earlyStop);
    expect(stopped.length).toBeLessThan(fullText.length);
  });

  it('cuts inside a token when the stop sequence starts mid-word', async () => {
    const backend = new SyntheticChatBackend(FAST);
    const tokens = await collect(backend, prompt, params());
    const fullText = joined(tokens);
    const token = tokens.slice(2).find((candidate) => candidate.text.trim().length >= 3)!;
    const stop = token.text.trim().slice(1); // the word without its first letter
    const stopped = joined(await collect(backend, prompt, params({ stop: [stop] })));
    expect(stopped).toBe(fullText.slice(0, fullText.indexOf(stop)));
  });

  it('rejects with the abort reason once aborted, without waiting for the next token', async () => {
    // One token per ~17 minutes: the stream can only settle through the abort.
    const backend = new SyntheticChatBackend({ ttftMs: 0, tokensPerSecond: 0.001 });
    const controller = new AbortController();
    const iterator = backend.generate(prompt, params(), controller.signal)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);

    const next = iterator.next();
    expect(await settledState(next)).toBe('pending');
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(await settledState(next)).toBe('rejected');
    await expect(next).rejects.toBe(reason);
  });

  it('holds one abort listener while it streams and none once the stream ends', async () => {
    const backend = new SyntheticChatBackend({ ttftMs: 0, tokensPerSecond: 10_000 });
    const controller = new AbortController();
    const counts: number[] = [];
    for await (const token of backend.generate(prompt, params(), controller.signal)) {
      expect(token.text).not.toBe('');
      counts.push(getEventListeners(controller.signal, 'abort').length);
    }
    expect(counts.length).toBeGreaterThan(5);
    expect(new Set(counts)).toEqual(new Set([1]));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects before any token when the signal is already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled before start');
    controller.abort(reason);
    const received: GeneratedToken[] = [];
    await expect(
      (async () => {
        for await (const token of new SyntheticChatBackend(FAST).generate(prompt, params(), controller.signal)) received.push(token);
      })(),
    ).rejects.toBe(reason);
    expect(received).toEqual([]);
  });

  it('throws SyntheticFaultError after a few tokens when the last user message has the fault trigger', async () => {
    const backend = new SyntheticChatBackend({ ...FAST, faultTrigger: '#fail' });
    const faulty: ChatPrompt = { messages: [...prompt.messages.slice(0, 1), { role: 'user', content: 'please #fail now' }] };
    const received: GeneratedToken[] = [];
    let error: unknown;
    try {
      for await (const token of backend.generate(faulty, params(), new AbortController().signal)) received.push(token);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SyntheticFaultError);
    expect(received.length).toBeGreaterThan(0);
    const withoutTrigger = new SyntheticChatBackend(FAST);
    expect(received.length).toBeLessThan((await collect(withoutTrigger, faulty, params())).length);
  });

  it('only looks for the fault trigger in the last user message', async () => {
    const backend = new SyntheticChatBackend({ ...FAST, faultTrigger: '#fail' });
    const earlierTrigger: ChatPrompt = {
      messages: [
        { role: 'user', content: 'please #fail now' },
        { role: 'assistant', content: 'I will not.' },
        { role: 'user', content: 'Fine, tell me a story.' },
      ],
    };
    const tokens = await collect(backend, earlierTrigger, params());
    expect(tokens.length).toBeGreaterThan(0);
    expect(joined(tokens)).toMatch(/\.$/);
  });
});
