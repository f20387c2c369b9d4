// Keyset pagination, one way for every list: fetch limit + 1 rows in a total order, cut the page, and hand out the
// last row's sort key as an opaque cursor; the next request continues strictly after it.
import { sql, type RawBuilder } from 'kysely';
import { DoppelError, ErrorCode, type Page } from '@doppel/protocol';
import { decodeCursor, encodeCursor, isTimestampText, isUuid } from './cursor';

export type { Page };

function notIssued(): DoppelError {
  return new DoppelError(ErrorCode.ValidationFailed, 'The cursor is not one this API issued.');
}

/**
 * `(timeColumn, idColumn) < cursor's (timestamp, uuid)`, for lists ordered by both descending. The timestamp is
 * compared as text cast in SQL, in full microsecond precision (a JS Date would round to milliseconds and skip rows).
 */
export function beforeTimeAndId(timeColumn: string, idColumn: string, cursor: string): RawBuilder<boolean> {
  const position = decodeCursor(cursor, 2);
  if (!position || !isTimestampText(position[0]) || !isUuid(position[1])) throw notIssued();
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${position[0]}::timestamptz, ${position[1]}::uuid)`;
}

/** The bigint position a cursor of `positionCursor` carries (as text: it may exceed 2^53). */
export function positionBefore(cursor: string): string {
  const position = decodeCursor(cursor, 1);
  if (!position || typeof position[0] !== 'string' || !/^\d{1,19}$/.test(position[0])) throw notIssued();
  return position[0];
}

/** The page of `rows` (fetched with limit + 1) and the cursor after its last row, when more rows follow. */
export function keysetPage<Row, Item>(rows: Row[], limit: number, cursorOf: (row: Row) => (string | number)[], toItem: (row: Row) => Item): Page<Item> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map((row) => toItem(row)), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
