import { describe, expect, it } from 'vitest';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { buildZip } from '../test/build-zip';
import { cardV2 } from '../test/character-fixtures';
import { importCharacter } from './import-character';
import { IMPORT_LIMITS } from './import-limits';
import { buildPngWithTextChunks, encodeChunk, PNG_SIGNATURE } from './png-text-chunks';

function importError(bytes: Buffer): DoppelError {
  try {
    importCharacter(bytes, 'upload');
  } catch (error) {
    expect(error).toBeInstanceOf(DoppelError);
    return error as DoppelError;
  }
  throw new Error('the import did not fail');
}

const cardPng = () => buildPngWithTextChunks([{ keyword: 'chara', text: Buffer.from(JSON.stringify(cardV2)).toString('base64') }]);

describe('importCharacter: bad input', () => {
  it.each([
    ['invalid JSON', Buffer.from('{"name": "x",'), ErrorCode.ImportInvalid],
    ['JSON that is no character', Buffer.from('{"hello": "world"}'), ErrorCode.ImportUnsupportedFormat],
    ['a JSON array', Buffer.from('[1, 2]'), ErrorCode.ImportUnsupportedFormat],
    ['an unknown card spec', Buffer.from('{"spec": "chara_card_v9", "data": {}}'), ErrorCode.ImportUnsupportedFormat],
    ['a V2 card without data', Buffer.from('{"spec": "chara_card_v2"}'), ErrorCode.ImportInvalid],
    ['plain text', Buffer.from('just some words'), ErrorCode.ImportUnsupportedFormat],
    ['a NUL character in a field', Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, personality: 'a\u0000b' } })), ErrorCode.ImportInvalid],
    ['a card without a name', Buffer.from(JSON.stringify({ spec: 'chara_card_v2', data: { description: 'x' } })), ErrorCode.ImportInvalid],
  ])('refuses %s', (_what, bytes, code) => {
    const error = importError(bytes);
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(400);
  });

  it('refuses a PNG whose chunk CRC is wrong', () => {
    const png = cardPng();
    png[png.length - 20] ^= 0xff; // inside IDAT
    expect(importError(png)).toMatchObject({ code: ErrorCode.ImportInvalid, message: expect.stringMatching(/CRC mismatch/) });
  });

  it('refuses a truncated PNG, a PNG not starting with IHDR, and a PNG with no card', () => {
    expect(importError(cardPng().subarray(0, 40)).message).toMatch(/truncated/);
    const noHeader = Buffer.concat([PNG_SIGNATURE, encodeChunk('IEND', Buffer.alloc(0))]);
    expect(importError(noHeader).message).toMatch(/IHDR/);
    expect(importError(buildPngWithTextChunks([{ keyword: 'Comment', text: 'hi' }])).message).toMatch(/no character card/);
    expect(importError(buildPngWithTextChunks([{ keyword: 'ccv3', text: '!!not base64!!' }])).message).toMatch(/not base64/);
  });

  it('refuses a zip without card.json, and a corrupted entry', () => {
    expect(importError(buildZip([{ name: 'readme.txt', content: Buffer.from('hi') }])).message).toMatch(/no card.json/);
    const corrupted = buildZip([{ name: 'card.json', content: Buffer.from(JSON.stringify(cardV2)) }]);
    corrupted[40] ^= 0xff; // inside the stored card.json, so the CRC no longer matches
    expect(importError(corrupted)).toMatchObject({ code: ErrorCode.ImportInvalid, message: expect.stringMatching(/CRC/) });
    expect(importError(Buffer.from('PK\u0003\u0004 no directory')).message).toMatch(/end-of-directory/);
  });

  it('stops a zip bomb at the cap, whatever size the zip declares', () => {
    const huge = Buffer.alloc(IMPORT_LIMITS.maxCardJsonBytes * 4, 0x20);
    const honest = buildZip([{ name: 'card.json', content: huge, method: 'deflate' }]);
    expect(honest.length).toBeLessThan(100_000);
    expect(importError(honest).code).toBe(ErrorCode.ImportTooLarge);
    const lying = buildZip([{ name: 'card.json', content: huge, method: 'deflate', declaredSize: 100 }]);
    expect(importError(lying).code).toBe(ErrorCode.ImportTooLarge);
  });

  it('refuses a file over the size cap', () => {
    const error = importError(Buffer.alloc(IMPORT_LIMITS.maxFileBytes + 1, 0x20));
    expect(error.code).toBe(ErrorCode.ImportTooLarge);
    expect(error.httpStatus).toBe(413);
  });
});
