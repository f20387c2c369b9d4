import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/** Stand-in for argument `index` while the query is built; never sent to PostgreSQL. */
const standIn = (index: number) => `\u0000prebuilt-argument-${index}\u0000`;

/** The SQL Kysely compiled, and for each of its parameters the argument it takes (-1: a value fixed by the build). */
interface Compiled {
  sql: string;
  slots: { argument: number; fixed: unknown }[];
}

export type PrebuiltQuery<Args extends unknown[], Row> = (db: Kysely<any>, ...args: Args) => Promise<Row[]>;

/**
 * A query whose shape never changes, built and compiled by Kysely once per process and then run with new values.
 * On the turn path the builder's own work (immutable node trees, reference parsing, compilation) cost more than
 * the rest of such a call: 115 µs of JavaScript per turn for the gateway's conversation read at `load`.
 * `build` must pass each of its arguments to the query as a bound value (a list as one array parameter, e.g.
 * `= ANY(…)`), never inline it, and take plain parameters (no defaults, no rest); both are checked.
 */
export function prebuiltQuery<Args extends unknown[], Row>(build: (...args: Args) => Compilable<Row>): PrebuiltQuery<Args, Row> {
  let compiled: Compiled | undefined;
  return async (db, ...args) => {
    // build.length counts plain parameters only: one with a default or a rest parameter would go unbound.
    if (args.length !== build.length) throw new Error(`prebuiltQuery: ${build.name || 'a query'} takes ${build.length} arguments, got ${args.length}`);
    compiled ??= compileOnce(build);
    const parameters = compiled.slots.map((slot) => (slot.argument >= 0 ? args[slot.argument] : slot.fixed));
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
}

function compileOnce<Args extends unknown[], Row>(build: (...args: Args) => Compilable<Row>): Compiled {
  const standIns = Array.from({ length: build.length }, (_, index) => standIn(index));
  const query = build(...(standIns as Args)).compile();
  const slots = query.parameters.map((value) => ({ argument: standIns.indexOf(value as string), fixed: value }));
  standIns.forEach((value, index) => {
    if (query.sql.includes(value) || !slots.some((slot) => slot.argument === index)) {
      throw new Error(`prebuiltQuery: argument ${index} of ${build.name || 'a query'} is not a bound parameter of the SQL it builds`);
    }
  });
  return { sql: query.sql, slots };
}
