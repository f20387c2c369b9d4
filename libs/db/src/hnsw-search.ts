// Settings every filtered pgvector HNSW search needs, shared by the searches over memories and knowledge.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { toVectorParam } from './vector-param';

const iterativeScanByDatabase = new WeakMap<object, Promise<boolean>>();

/** pgvector >= 0.8 can keep scanning the graph until enough rows pass the query's filters. Asked once per pool. */
export function supportsIterativeScan(db: Kysely<any>): Promise<boolean> {
  let known = iterativeScanByDatabase.get(db);
  if (!known) {
    known = sql<{ extversion: string }>`SELECT extversion FROM pg_extension WHERE extname = 'vector'`.execute(db).then(({ rows }) => {
      const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0.0').split('.').map(Number);
      return major > 0 || minor >= 8;
    });
    iterativeScanByDatabase.set(db, known);
  }
  return known;
}

/** Sets ef_search (and iterative scan where supported) for the rest of the caller's transaction only. */
export async function tuneHnswSearch(trx: Kysely<any>, efSearch: number, iterativeScan: boolean): Promise<void> {
  await sql`SELECT set_config('hnsw.ef_search', ${String(efSearch)}, true)`.execute(trx);
  if (iterativeScan) await sql`SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)`.execute(trx);
}

/**
 * Cosine distance from `column` to the query vector, cast to vector(N): with a `embedding_dims = N` filter this lets
 * Postgres use that dimension's partial HNSW index.
 */
export function cosineDistance(column: string, query: ArrayLike<number>): RawBuilder<number> {
  const dims = sql.raw(String(checkedDimensions(query.length)));
  return sql<number>`(${sql.ref(column)}::vector(${dims})) <=> ${toVectorParam(query)}::vector(${dims})`;
}

export function checkedDimensions(dimensions: number): number {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new RangeError(`an embedding has ${dimensions} dimensions`);
  return dimensions;
}
