import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, isTimestampText, isUuid } from './cursor';

describe('pagination cursors', () => {
  it('decode what they encode', () => {
    const parts = ['2024-05-01 12:30:00.123456+00', '0b6a6c7e-6d1f-4c55-9d7e-2f7b1a0c9e11', 42, -1.5];
    const cursor = encodeCursor(parts);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, parts.length)).toEqual(parts);
    expect(decodeCursor(encodeCursor(['ünïcödé "quoted"']), 1)).toEqual(['ünïcödé "quoted"']);
  });

  it('reject a cursor with the wrong number of parts', () => {
    const cursor = encodeCursor(['a', 1]);
    expect(decodeCursor(cursor, 1)).toBeNull();
    expect(decodeCursor(cursor, 3)).toBeNull();
    expect(decodeCursor(cursor, 2)).toEqual(['a', 1]);
  });

  it('reject garbage and well-formed JSON of the wrong shape', () => {
    const encode = (json: string) => Buffer.from(json).toString('base64url');
    for (const cursor of ['', 'not a cursor!!', '%%%', encode('{"a":1}'), encode('"text"'), encode('[1,'), encode('[null]'), encode('[[1]]'), encode('[true]'), encode('[{}]')]) {
      expect(decodeCursor(cursor, 1), cursor).toBeNull();
    }
  });
});

describe('isUuid', () => {
  it('accepts canonical UUIDs in either case', () => {
    expect(isUuid('0b6a6c7e-6d1f-4c55-9d7e-2f7b1a0c9e11')).toBe(true);
    expect(isUuid('0B6A6C7E-6D1F-4C55-9D7E-2F7B1A0C9E11')).toBe(true);
  });

  it('rejects anything else', () => {
    for (const value of ['', '0b6a6c7e6d1f4c559d7e2f7b1a0c9e11', '0b6a6c7e-6d1f-4c55-9d7e-2f7b1a0c9e1', 'gb6a6c7e-6d1f-4c55-9d7e-2f7b1a0c9e11', ' 0b6a6c7e-6d1f-4c55-9d7e-2f7b1a0c9e11', 42, null, undefined]) {
      expect(isUuid(value), String(value)).toBe(false);
    }
  });
});

describe('isTimestampText', () => {
  it('accepts the timestamps Postgres and ISO 8601 write', () => {
    for (const value of ['2024-05-01 12:30:00', '2024-05-01T12:30:00Z', '2024-05-01 12:30:00.123456+00', '2024-05-01T12:30:00.1+05:30', '2024-05-01T12:30:00-0800']) {
      expect(isTimestampText(value), value).toBe(true);
    }
    expect(isTimestampText(new Date(0).toISOString())).toBe(true);
  });

  it('rejects anything else', () => {
    for (const value of ['', '2024-05-01', '12:30:00', '2024-05-01 12:30', '2024-05-01 12:30:00.1234567', '2024-05-01 12:30:00 UTC', 'yesterday', 1714566600000, new Date(0), ['2024-05-01 12:30:00'], null]) {
      expect(isTimestampText(value), String(value)).toBe(false);
    }
  });
});
