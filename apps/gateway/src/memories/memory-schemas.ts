import { z } from 'zod';

export const memoryListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(512).optional(),
  pinned: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).optional(),
});

export const memoryPinSchema = z.strictObject({ pinned: z.boolean() });
