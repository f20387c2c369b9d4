// Socket event plumbing shared by the chat namespace's gateways: the error an ack carries when a payload is invalid
// or handling it failed, and the namespace's options.
import type { Logger } from '@nestjs/common';
import type { z } from 'zod';
import { DoppelError, ErrorCode, type ErrorBody } from '@doppel/protocol';
import { issuesOf } from '../http/zod-validation.pipe';

/** "{ conversationId, text, clientTurnId, verification? }" from a strict object schema. */
function describeSchema(schema: z.ZodType): string {
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  return `{ ${Object.entries(shape).map(([key, field]) => (field.safeParse(undefined).success ? `${key}?` : key)).join(', ')} }`;
}

/** The ack for a payload the event's schema refuses: which fields it takes, and what was wrong. */
export function invalidPayload(event: string, schema: z.ZodType, error: z.ZodError): { ok: false; error: ErrorBody } {
  return { ok: false, error: { code: ErrorCode.ValidationFailed, message: `${event} needs ${describeSchema(schema)}: ${issuesOf(error)}` } };
}

/** The ack for a failed event: a DoppelError as it is; anything else logged, and answered without its details. */
export function failedEvent(logger: Logger, event: string, error: unknown): { ok: false; error: ErrorBody } {
  if (error instanceof DoppelError) return { ok: false, error: error.toBody() };
  logger.error(`${event} failed: ${(error as Error).stack ?? String(error)}`);
  return { ok: false, error: { code: ErrorCode.Internal, message: `${event} could not be handled; try again.` } };
}

/** Every gateway on the chat namespace declares the same options: whichever Nest creates the server with wins. */
export const CHAT_GATEWAY_OPTIONS = { cors: { origin: true }, maxHttpBufferSize: 1_000_000 } as const;
