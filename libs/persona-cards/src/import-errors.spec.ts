import { describe, expect, it } from 'vitest';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { buildZip } from '../test/build-zip';
import { cardV2 } from '../test/character-fixtures';
import { importFile } from './import-file';
import { IMPORT_LIMITS } from './import-limits';
import { buildPngWithTextChunks, encodeChunk, PNG_SIGNATURE } from './png-text-chunks';

async function importError(bytes: Buffer, fileName = 'upload'): Promise<DoppelError> {
  try {
    await importFile(bytes, { fileName });
  } catch (error) {
    expect(error).toBeInstanceOf(DoppelError);
    return error as DoppelError;
  }
  throw new Error('the import did not fail');
}

const cardPng = () => buildPngWithTextChunks([{ keyword: 'chara', text: Buffer.from(JSON.stringify(cardV2)).toString('base64') }]);

describe('importFile: bad input', () => {
  it.each([
    ['invalid JSON', Buffer.from('{"name": "x",'), ErrorCode.ImportInvalid],
    ['JSON that is no character', Buffer.from('{"hello": "world"}'), ErrorCode.ImportUnsupportedFormat],
    ['a JSON array of no characters', Buffer.from('[1, 2]'), ErrorCode.ImportUnsupportedFormat],
    ['an unknown card spec', Buffer.from('{"spec": "chara_card_v9", "data": {}}'), ErrorCode.ImportUnsupportedFormat],
    ['a V2 card without data', Buffer.from('{"spec": "chara_card_v2"}'), ErrorCode.ImportInvalid],
    ['plain text', Buffer.from('just some words'), ErrorCode.ImportUnsupportedFormat],
    ['a NUL character in a field', Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, personality: 'a\u0000b' } })), ErrorCode.ImportInvalid],
    ['an unpaired surrogate in a field', Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, description: 'broken \ud800 emoji' } })), ErrorCode.ImportInvalid],
    ['an unpaired surrogate in a lorebook entry', Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, character_book: { entries: [{ keys: ['k'], content: '\udc00' }] } } })), ErrorCode.ImportInvalid],
    ['a card without a name', Buffer.from(JSON.stringify({ spec: 'chara_card_v2', data: { description: 'x' } })), ErrorCode.ImportInvalid],
    ['a lorebook with no usable entry', Buffer.from(JSON.stringify({ entries: { '0': { key: [''], content: 'x' } } })), ErrorCode.ImportInvalid],
  ])('refuses %s', async (_what, bytes, code) => {
    const error = await importError(bytes);
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(400);
  });

  it('tells the sender of TypeScript source to export JSON', async () => {
    const error = await importError(Buffer.from("import { type Character } from '@elizaos/core';\nexport const character: Character = {};"), 'eliza.ts');
    expect(error).toMatchObject({ code: ErrorCode.ImportUnsupportedFormat, message: expect.stringMatching(/eliza\.ts is program source.*Export the character as JSON/) });
  });

  it('names the field that holds an unpaired surrogate', async () => {
    const error = await importError(Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, description: 'broken \ud800 emoji' } })));
    expect(error.message).toMatch(/description contains an unpaired UTF-16 surrogate \(\\uD800 at index 7\)/);
    // A well-formed pair (an emoji) is fine.
    const imported = await importFile(Buffer.from(JSON.stringify({ ...cardV2, data: { ...cardV2.data, description: 'ok \ud83d\ude00' } })));
    expect(imported.kind === 'characters' && imported.characters[0]!.persona.description).toBe('ok 😀');
  });

  it('refuses a PNG whose chunk CRC is wrong', async () => {
    const png = cardPng();
    png[png.length - 20] ^= 0xff; // inside IDAT
    expect(await importError(png)).toMatchObject({ code: ErrorCode.ImportInvalid, message: expect.stringMatching(/corrupted/) });
  });

  it('refuses a truncated PNG, a PNG not starting with IHDR, a PNG with no card, and a giant one before decoding it', async () => {
    expect((await importError(cardPng().subarray(0, 60))).message).toMatch(/truncated or corrupted/);
    const noHeader = Buffer.concat([PNG_SIGNATURE, encodeChunk('IEND', Buffer.alloc(0)), Buffer.alloc(20)]);
    expect((await importError(noHeader)).message).toMatch(/IHDR/);
    expect((await importError(buildPngWithTextChunks([{ keyword: 'Comment', text: 'hi' }]))).message).toMatch(/no character card/);
    expect((await importError(buildPngWithTextChunks([{ keyword: 'ccv3', text: '!!not base64!!' }]))).message).toMatch(/not base64/);
    const giant = cardPng();
    giant.writeUInt32BE(100_000, 16);
    giant.writeUInt32BE(100_000, 20);
    expect((await importError(giant)).message).toMatch(/100000x100000 pixels/);
  });

  it('refuses a zip without card.json, a corrupted entry, and no zip at all', async () => {
    expect((await importError(buildZip([{ name: 'readme.txt', content: Buffer.from('hi') }]))).message).toMatch(/no card.json/);
    const corrupted = buildZip([{ name: 'card.json', content: Buffer.from(JSON.stringify(cardV2)), method: 'deflate' }]);
    corrupted[40] ^= 0xff; // inside the deflated card.json
    expect(await importError(corrupted)).toMatchObject({ code: ErrorCode.ImportInvalid });
    expect((await importError(Buffer.from('PK\u0003\u0004 no directory'))).code).toBe(ErrorCode.ImportInvalid);
  });

  it('refuses zip bombs before inflating them, and stops a lying one at its declared size', async () => {
    const huge = Buffer.alloc(IMPORT_LIMITS.maxCardJsonBytes * 4, 0x20);
    const honest = buildZip([{ name: 'card.json', content: huge, method: 'deflate' }]);
    expect(honest.length).toBeLessThan(100_000);
    expect((await importError(honest)).code).toBe(ErrorCode.ImportTooLarge);
    const dense = buildZip([{ name: 'card.json', content: Buffer.alloc(IMPORT_LIMITS.maxCardJsonBytes / 2, 0x20), method: 'deflate' }]);
    expect((await importError(dense)).message).toMatch(/expands more than 200 times/);
    const lying = buildZip([{ name: 'card.json', content: huge, method: 'deflate', declaredSize: 100 }]);
    expect((await importError(lying)).code).toBe(ErrorCode.ImportInvalid);
  });

  it('refuses a file over the size cap', async () => {
    const error = await importError(Buffer.alloc(IMPORT_LIMITS.maxFileBytes + 1, 0x20));
    expect(error.code).toBe(ErrorCode.ImportTooLarge);
    expect(error.httpStatus).toBe(413);
  });
});
