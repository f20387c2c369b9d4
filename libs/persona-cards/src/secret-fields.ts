// Finds keys that look like credentials anywhere in a character file, so they are dropped by path and never read.
import { IMPORT_LIMITS } from './import-limits';

const SECRET_KEY_PATTERN = /secret|api[-_]?key|token|password|passwd/i;
// Token *counts* and budgets are generation and lorebook settings, not credentials.
const TOKEN_COUNT_KEY_PATTERN = /^((max|min|num|total)[-_]?(new[-_]?)?tokens|token[-_]?budget)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key) && !TOKEN_COUNT_KEY_PATTERN.test(key);
}

/** Paths of the outermost secret-looking keys (a secret object's own keys are not listed: their names can leak too). */
export function findSecretPaths(value: unknown, path = '', depth = 0): string[] {
  if (depth > IMPORT_LIMITS.maxScanDepth || value === null || typeof value !== 'object') return [];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [`[${index}]`, item]) : Object.entries(value);
  return entries.flatMap(([key, child]) => {
    const childPath = Array.isArray(value) ? `${path}${key}` : path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && isSecretKey(key)) return [childPath];
    return findSecretPaths(child, childPath, depth + 1);
  });
}

export const SECRET_DROP_REASON = 'looks like a credential: never imported, stored or echoed';
