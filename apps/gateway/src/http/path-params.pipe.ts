// Path parameters reach lookups without a schema of their own; whatever a route does with one, it is text PostgreSQL
// can hold (a `%00` or `%ED%A0%80` in a path would otherwise fail at the database as a 500).
import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { clientJsonProblem, DoppelError, errorCodeOfClientJsonProblem } from '@doppel/protocol';

export class PathParamsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param') return value;
    const problem = clientJsonProblem(value);
    if (problem) {
      const name = metadata.data ?? 'a path parameter';
      throw new DoppelError(errorCodeOfClientJsonProblem(problem), `The path is not valid: ${name} ${problem.message.replace(/^\(root\) /, '')}.`);
    }
    return value;
  }
}
