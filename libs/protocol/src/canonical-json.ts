// No Node imports here: the web app's receipt check imports this file as it is, so browser and server hash the
// same bytes.

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, arrays in order, numbers and strings as
 * JSON.stringify writes them. For the values a persona definition holds this equals RFC 8785 (JCS), so another
 * implementation can recompute a persona version hash as sha256(JCS(definition)) in lowercase hex.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    if (value === undefined) throw new TypeError('canonical JSON has no undefined');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, child]) => child !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
}
