// Error text for socket payloads that fail validation: which fields the event takes, and what was wrong.
import type { z } from 'zod';

/** "{ conversationId, text, clientTurnId, verification? }" from a strict object schema. */
export function describeSchema(schema: z.ZodType): string {
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  return `{ ${Object.entries(shape).map(([key, field]) => (field.safeParse(undefined).success ? `${key}?` : key)).join(', ')} }`;
}

export function issuesOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Every gateway on the chat namespace declares the same options: whichever Nest creates the server with wins. */
export const CHAT_GATEWAY_OPTIONS = { cors: { origin: true }, maxHttpBufferSize: 1_000_000 } as const;
