/**
 * A vector as a query parameter in pgvector's binary format: int16 dimensions, int16 zero, then the components as
 * big-endian float4. node-postgres sends a Buffer parameter as binary, so PostgreSQL reads it with vector_recv
 * instead of parsing hundreds of decimal numbers, and the node skips printing them (the text form cost a node 3 % of
 * its JavaScript time at `load`). Non-finite values would be rejected by PostgreSQL, so fail earlier and clearer.
 */
export function toVectorParam(vector: ArrayLike<number>): Buffer {
  const buffer = Buffer.allocUnsafe(4 + 4 * vector.length);
  buffer.writeInt16BE(vector.length, 0);
  buffer.writeInt16BE(0, 2);
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    if (!Number.isFinite(value)) throw new RangeError(`vector component ${i} is not finite (${value})`);
    buffer.writeFloatBE(value, 4 + 4 * i);
  }
  return buffer;
}
