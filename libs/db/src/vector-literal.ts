/** pgvector's text input format. Non-finite values would be rejected by Postgres, so fail earlier and clearer. */
export function toVectorLiteral(vector: ArrayLike<number>): string {
  const parts = new Array<string>(vector.length);
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    if (!Number.isFinite(value)) throw new RangeError(`vector component ${i} is not finite (${value})`);
    parts[i] = String(value);
  }
  return `[${parts.join(',')}]`;
}
