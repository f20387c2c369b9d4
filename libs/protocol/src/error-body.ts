// What every error a client sees looks like, in a REST body or a socket ack.
import { z } from 'zod';
import { ErrorCode } from './error-codes';

export const errorBodySchema = z.object({
  code: z.enum(ErrorCode),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
