import { z } from 'zod';
import type { ModelFile } from './model-files';

export const modelKindSchema = z.enum(['chat', 'embedding']);
export const modelBackendSchema = z.enum(['onnx', 'openai', 'synthetic', 'hashing']);

export interface ModelRecord {
  id: string;
  kind: z.infer<typeof modelKindSchema>;
  backend: z.infer<typeof modelBackendSchema>;
  location: string;
  parameters: Record<string, unknown>;
  contentHash: string;
  files: ModelFile[];
  dimensions: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What an operator sends to register a model; files and hashes are computed by the server. */
export const registerModelSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'ids are lowercase letters, digits, ".", "_" or "-", at most 64'),
    kind: modelKindSchema,
    backend: z.enum(['onnx', 'openai']),
    location: z.string().min(1).max(1024),
    parameters: z
      .strictObject({
        /** openai: the upstream's model name; it is also the declared identity that gets hashed. */
        upstreamModel: z.string().min(1).max(256).optional(),
        apiKeyEnv: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/).optional(),
        timeoutMs: z.number().int().min(100).max(600_000).optional(),
        contextWindow: z.number().int().min(64).max(1_000_000).optional(),
      })
      .default({}),
  })
  .refine((input) => input.backend !== 'openai' || input.kind === 'chat', 'the openai backend serves chat models only')
  .refine((input) => input.backend !== 'openai' || /^https?:\/\//.test(input.location), 'an openai location is the base URL, e.g. http://127.0.0.1:8000/v1')
  .refine((input) => input.backend !== 'openai' || !!input.parameters.upstreamModel, 'an openai model needs parameters.upstreamModel');
export type RegisterModelInput = z.infer<typeof registerModelSchema>;
