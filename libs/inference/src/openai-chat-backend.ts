// Chat through any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, hosted APIs): streaming chat
// completions over SSE. A remote model cannot be hashed by the node, so its content hash is the sha256 of its
// declared identity: canonical JSON of { backend: "openai", baseUrl, model }.
import { canonicalJson, sha256Hex } from '@doppel/protocol';
import { countApproximateTokens } from './approximate-tokens';
import type { ChatModelBackend, ChatPrompt, GeneratedToken, SamplingParams } from './model-backend';
import { StopSequenceFilter } from './stop-sequences';

export interface OpenAiChatOptions {
  modelId: string;
  baseUrl: string;
  upstreamModel: string;
  apiKey?: string;
  timeoutMs: number;
  contextWindow: number;
  /** Attempts for connection errors only; once the upstream answered, a failure is final. */
  connectAttempts?: number;
}

export function openAiModelHash(baseUrl: string, upstreamModel: string): string {
  return sha256Hex(canonicalJson({ backend: 'openai', baseUrl: baseUrl.replace(/\/+$/, ''), model: upstreamModel }));
}

export class UpstreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export class OpenAiChatBackend implements ChatModelBackend {
  readonly modelId: string;
  readonly modelHash: string;
  readonly contextWindow: number;

  constructor(private readonly options: OpenAiChatOptions) {
    this.modelId = options.modelId;
    this.modelHash = openAiModelHash(options.baseUrl, options.upstreamModel);
    this.contextWindow = options.contextWindow;
  }

  countTokens(text: string): number {
    return countApproximateTokens(text);
  }

  async *generate(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal): AsyncIterable<GeneratedToken> {
    const response = await this.connect(prompt, params, signal);
    const stops = new StopSequenceFilter(params.stop);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          const rest = stops.flush();
          if (rest) yield { text: rest };
          return;
        }
        const text = parseDelta(data);
        if (!text) continue;
        const released = stops.push(text);
        if (released) yield { text: released };
        if (stops.isStopped) return;
      }
    }
    throw new UpstreamError(`${this.options.baseUrl} closed the stream without [DONE]`);
  }

  private async connect(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal): Promise<Response> {
    const attempts = this.options.connectAttempts ?? 3;
    const body = JSON.stringify({
      model: this.options.upstreamModel,
      messages: prompt.messages,
      stream: true,
      max_tokens: params.maxTokens,
      temperature: params.temperature,
      top_p: params.topP,
      seed: params.seed,
      ...(params.stop.length > 0 ? { stop: params.stop.slice(0, 4) } : {}),
    });
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      let response: Response;
      try {
        response = await fetch(`${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body,
          signal: AbortSignal.any([signal, timeout]),
        });
      } catch (error) {
        if (signal.aborted) throw error;
        if (timeout.aborted) throw new UpstreamError(`${this.options.baseUrl} did not answer within ${this.options.timeoutMs} ms`);
        if (attempt >= attempts) throw new UpstreamError(`cannot reach ${this.options.baseUrl}: ${(error as Error).message}`);
        await new Promise((resolveDelay) => setTimeout(resolveDelay, 200 * 2 ** (attempt - 1)));
        continue;
      }
      if (!response.ok || !response.body) {
        const detail = (await response.text().catch(() => '')).slice(0, 200);
        throw new UpstreamError(`${this.options.baseUrl} answered ${response.status}: ${detail}`);
      }
      return response;
    }
  }
}

function parseDelta(data: string): string {
  let payload: { choices?: { delta?: { content?: unknown } }[] };
  try {
    payload = JSON.parse(data);
  } catch {
    throw new UpstreamError(`the upstream sent a stream event that is not JSON: ${data.slice(0, 80)}`);
  }
  if (!Array.isArray(payload.choices)) throw new UpstreamError('the upstream sent a stream event without choices');
  const content = payload.choices[0]?.delta?.content;
  return typeof content === 'string' ? content : '';
}
