import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { decodeCursor, encodeCursor } from './cursor';
import { beforeTimeAndId, keysetPage, positionBefore } from './keyset-page';

const rows = [1, 2, 3].map((n) => ({ at: `2026-11-30 03:0${n}:00.123456+00`, id: `00000000-0000-4000-8000-00000000000${n}` }));

describe('keysetPage', () => {
  it('cuts the extra row and points the cursor at the last row of the page', () => {
    const page = keysetPage(rows, 2, (row) => [row.at, row.id], (row) => row.id);
    expect(page.items).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(decodeCursor(page.nextCursor!, 2)).toEqual([rows[1]!.at, rows[1]!.id]);
  });

  it('has no cursor on the last page', () => {
    expect(keysetPage(rows, 3, (row) => [row.at, row.id], (row) => row.id).nextCursor).toBeNull();
    expect(keysetPage([], 3, () => [], (row) => row).nextCursor).toBeNull();
  });

  it('refuses cursors it did not issue with VALIDATION_FAILED', () => {
    for (const bad of ['nope', encodeCursor(['yesterday', rows[0]!.id]), encodeCursor([rows[0]!.at]), encodeCursor([rows[0]!.at, 'not-a-uuid'])]) {
      expect(() => beforeTimeAndId('created_at', 'id', bad), bad).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    }
    expect(() => positionBefore(encodeCursor(['12a']))).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed }));
    expect(positionBefore(encodeCursor(['9007199254740993']))).toBe('9007199254740993');
  });
});
