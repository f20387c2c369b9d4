// Chat through Oblivious HTTP: the gateway's OpenAI-compatible POST /v1/chat/completions with stream: true, sealed
// for the gateway and carried by a relay, its server-sent events read as they arrive. Used by the CLI's --via-relay
// and the web app's private mode.
import { header, type OhttpClient } from './client';

export interface PrivateChatRequest {
  apiKey: string;
  /** The persona id (OpenAI's `model`). */
  personaId: string;
  /** Continue a stored conversation (with its memory); otherwise `messages` start a new one. */
  conversationId?: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  /** The proof the turn must carry (`signed`, `signed+reexec`…); the done event's extension then holds its receipt. */
  verification?: string;
}

export type PrivateChatEvent =
  | { type: 'start'; conversationId: string | null; relay: string }
  | { type: 'token'; text: string }
  | { type: 'done'; doppel: unknown; finishReason: string | null };

export class PrivateChatError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'PrivateChatError';
  }
}

/** Yields the reply's tokens as the gateway streams them, then a done event with Doppel's extension (receipt…). */
export async function* privateChat(client: OhttpClient, request: PrivateChatRequest, signal?: AbortSignal): AsyncGenerator<PrivateChatEvent> {
  const body = JSON.stringify({
    model: request.personaId,
    messages: request.messages,
    stream: true,
    ...(request.conversationId ? { conversation_id: request.conversationId } : {}),
    ...(request.verification ? { verification: request.verification } : {}),
  });
  const response = await client.stream(
    { method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${request.apiKey}`, 'content-type': 'application/json', accept: 'text/event-stream' }, body },
    signal,
  );
  if (response.status !== 200) {
    const chunks: Uint8Array[] = [];
    for await (const piece of response.body) chunks.push(piece);
    const text = new TextDecoder().decode(concat(chunks));
    let error: { code?: string; message?: string; type?: string } = {};
    try {
      const parsed = JSON.parse(text) as { error?: typeof error } & typeof error;
      error = parsed.error ?? parsed;
    } catch {
      // not JSON
    }
    throw new PrivateChatError(response.status, error.code ?? error.type ?? 'HTTP_ERROR', error.message ?? `status ${response.status}`);
  }
  yield { type: 'start', conversationId: header(response.headers, 'x-doppel-conversation-id') ?? null, relay: response.relay };
  const decoder = new TextDecoder();
  let pending = '';
  let finishReason: string | null = null;
  let doppel: unknown = null;
  for await (const piece of response.body) {
    pending += decoder.decode(piece, { stream: true });
    for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { error?: { message?: string; code?: string }; doppel?: unknown; choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
      if (chunk.error) throw new PrivateChatError(200, chunk.error.code ?? 'STREAM_ERROR', chunk.error.message ?? 'the stream failed');
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) yield { type: 'token', text: choice.delta.content };
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.doppel) doppel = chunk.doppel;
    }
  }
  yield { type: 'done', doppel, finishReason };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
