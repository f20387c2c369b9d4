// What any JSON a client sends (a body, a query, a socket event, an imported file) must satisfy before anything walks
// it recursively or stores it: bounded nesting and size, and text PostgreSQL can hold (no NUL, no unpaired UTF-16
// surrogate). Checked without recursion, so a hostile nesting cannot overflow the stack here either.
import { ErrorCode } from './error-codes';

export const CLIENT_JSON_LIMITS = {
  /** Deeper than any request or card needs (a persona is 4 levels deep). */
  maxDepth: 64,
  /** Values (objects, arrays, strings, numbers…) in one document. */
  maxNodes: 200_000,
};

export interface ClientJsonProblem {
  kind: 'too-deep' | 'too-many-values' | 'nul' | 'unpaired-surrogate';
  path: string;
  message: string;
}

/** Too big a shape is PAYLOAD_TOO_COMPLEX; text that cannot be stored is VALIDATION_FAILED. Both are 400s. */
export function errorCodeOfClientJsonProblem(problem: ClientJsonProblem): ErrorCode {
  return problem.kind === 'too-deep' || problem.kind === 'too-many-values' ? ErrorCode.PayloadTooComplex : ErrorCode.ValidationFailed;
}

// With the u flag a well-formed pair is one code point, so only a surrogate standing alone matches.
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

function textProblem(text: string, path: string): ClientJsonProblem | null {
  const where = path || '(root)';
  if (text.includes('\u0000')) return { kind: 'nul', path, message: `${where} contains a NUL character (U+0000)` };
  const surrogate = UNPAIRED_SURROGATE.exec(text);
  if (surrogate) {
    const codeUnit = surrogate[0].charCodeAt(0).toString(16).toUpperCase();
    return { kind: 'unpaired-surrogate', path, message: `${where} contains an unpaired UTF-16 surrogate (\\u${codeUnit} at index ${surrogate.index}), which is not Unicode text` };
  }
  return null;
}

/** The first problem found (depth-first), or null. Paths look like `lorebook.entries[3].keys[0]`. */
export function clientJsonProblem(value: unknown, limits = CLIENT_JSON_LIMITS): ClientJsonProblem | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  let values = 0;
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    if (++values > limits.maxNodes) {
      return { kind: 'too-many-values', path, message: `the document holds more than ${limits.maxNodes} values` };
    }
    if (typeof current === 'string') {
      const problem = textProblem(current, path);
      if (problem) return problem;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limits.maxDepth) {
      return { kind: 'too-deep', path, message: `${path || '(root)'} is nested more than ${limits.maxDepth} levels deep` };
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) pending.push({ value: current[index], path: `${path}[${index}]`, depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(current);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index]!;
      const childPath = path ? `${path}.${key}` : key;
      const keyProblem = textProblem(key, childPath);
      if (keyProblem) return keyProblem;
      pending.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return null;
}
