import type { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { clientJsonProblem, DoppelError, errorCodeOfClientJsonProblem, errorCodeOfIssues } from '@doppel/protocol';

/** Validates a body or query against one zod schema; the error lists every problem with its path. */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.infer<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly what = 'request',
  ) {}

  transform(value: unknown): z.infer<Schema> {
    // Before zod or anything else walks it: bounded nesting, and text PostgreSQL can store.
    const problem = clientJsonProblem(value);
    if (problem) throw new DoppelError(errorCodeOfClientJsonProblem(problem), `The ${this.what} is not valid: ${problem.message}.`, { path: problem.path });
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

/** JSON Schema of a zod schema, for the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return jsonSchema;
}

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});
