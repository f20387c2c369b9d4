// The body of POST /v1/chat/completions that Doppel reads: OpenAI's chat request, plus two extension fields.
import { z } from 'zod';
import { verificationLevelSchema } from '@doppel/verification';

/** OpenAI's content parts; only text parts mean anything to a persona. */
const contentPartSchema = z.looseObject({ type: z.string().max(64), text: z.string().max(1_000_000).optional() });

const messageSchema = z.looseObject({
  role: z.string().max(32),
  // Length limits are the intake's (configurable) business; this only caps what is parsed at all.
  content: z.union([z.string().max(1_000_000), z.array(contentPartSchema).max(256), z.null()]).optional(),
  name: z.string().max(256).optional(),
});

/**
 * Loose on purpose: OpenAI clients send sampling and other parameters Doppel does not take (the persona's
 * generation parameters apply, and receipts commit to those). What would change the answer's shape (n > 1, tools)
 * is refused in `unsupportedParameter` instead of being ignored.
 */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(128),
  messages: z.array(messageSchema).min(1).max(1000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.number().int().nullish(),
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  user: z.string().max(256).nullish(),
  /** Doppel extension: continue this stored conversation (its history and memory) instead of starting one. */
  conversation_id: z.string().min(1).max(64).nullish(),
  /** Doppel extension (or the X-Doppel-Verification header): the proof this turn must carry. */
  verification: verificationLevelSchema.nullish(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = ChatCompletionRequest['messages'][number];

/** A parameter the endpoint cannot honour, with why; null when the request asks only for what it can give. */
export function unsupportedParameter(request: ChatCompletionRequest): { param: string; message: string } | null {
  if (request.n !== undefined && request.n !== null && request.n !== 1) {
    return { param: 'n', message: 'A persona gives one reply per turn; n must be 1 (ask again for another reply).' };
  }
  if (request.tools?.length) return { param: 'tools', message: 'Personas do not call tools; send the request without tools.' };
  if (request.functions?.length) return { param: 'functions', message: 'Personas do not call functions; send the request without functions.' };
  if (request.response_format && request.response_format.type !== 'text') {
    return { param: 'response_format', message: `A persona replies in text; response_format ${JSON.stringify(request.response_format.type)} is not supported.` };
  }
  return null;
}
