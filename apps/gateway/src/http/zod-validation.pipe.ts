import type { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { DoppelError, ErrorCode, errorCodeOfIssues } from '@doppel/protocol';

/** Validates a body or query against one zod schema; the error lists every problem with its path. */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.infer<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly what = 'request',
  ) {}

  transform(value: unknown): z.infer<Schema> {
    const nulAt = findNul(value, '');
    if (nulAt !== null) {
      // PostgreSQL text cannot hold U+0000; refuse it here rather than fail at the database.
      throw new DoppelError(ErrorCode.ValidationFailed, `The ${this.what} is not valid: ${nulAt || '(root)'} contains a NUL character (U+0000).`);
    }
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new DoppelError(
      errorCodeOfIssues(parsed.error.issues),
      `The ${this.what} is not valid: ${issuesOf(parsed.error)}`,
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
}

/** "path: problem; path: problem", the form every validation error message uses. */
export function issuesOf(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Path of the first string (or key) holding U+0000, or null. */
export function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNul(item, `${path}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return childPath;
      const found = findNul(item, childPath);
      if (found !== null) return found;
    }
  }
  return null;
}

/** JSON Schema of a zod schema, for the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return jsonSchema;
}

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});
