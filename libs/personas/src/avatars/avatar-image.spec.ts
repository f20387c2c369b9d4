import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { normalizeAvatar, sniffImageType } from './avatar-image';

type Image = ReturnType<typeof sharp>;

const MAX = 8 * 1024 * 1024;
const pixels = (width: number, height: number) =>
  sharp(Buffer.from(Array.from({ length: width * height * 3 }, (_, index) => (index * 37) % 256)), { raw: { width, height, channels: 3 } });

describe('normalizeAvatar', () => {
  it('re-encodes PNG, JPEG and WebP as PNG with a thumbnail, and names it by the PNG’s sha256', async () => {
    for (const encode of [(image: Image) => image.png(), (image: Image) => image.jpeg(), (image: Image) => image.webp()]) {
      const avatar = await normalizeAvatar(await encode(pixels(60, 90)).toBuffer(), MAX);
      expect(sniffImageType(avatar.png)).toBe('png');
      expect(avatar).toMatchObject({ width: 60, height: 90, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect((await sharp(avatar.thumbnail).metadata()).format).toBe('webp');
    }
  });

  it('gives the same bytes and hash when its own output comes back, text chunks and all', async () => {
    const first = await normalizeAvatar(await pixels(40, 40).png().toBuffer(), MAX);
    const again = await normalizeAvatar(first.png, MAX);
    expect(again.hash).toBe(first.hash);
    // A card PNG is the avatar plus tEXt chunks after IHDR; they are not part of the picture.
    const text = Buffer.from('tEXtchara\u0000e30=', 'latin1');
    const chunk = Buffer.alloc(12 + text.length - 4);
    chunk.writeUInt32BE(text.length - 4, 0);
    text.copy(chunk, 4);
    const { crc32 } = await import('node:zlib');
    chunk.writeUInt32BE(crc32(text), 8 + text.length - 4);
    const withChunk = Buffer.concat([first.png.subarray(0, 33), chunk, first.png.subarray(33)]);
    expect((await normalizeAvatar(withChunk, MAX)).hash).toBe(first.hash);
  });

  it('drops what is appended to the image and shrinks huge ones', async () => {
    const png = await pixels(20, 20).png().toBuffer();
    const polyglot = Buffer.concat([png, Buffer.from('<script>alert(1)</script>')]);
    expect((await normalizeAvatar(polyglot, MAX)).png.includes('<script>')).toBe(false);
    const big = await normalizeAvatar(await sharp({ create: { width: 3000, height: 1000, channels: 3, background: '#345' } }).png().toBuffer(), MAX);
    expect([big.width, big.height]).toEqual([2048, 683]);
  });

  it('refuses what is not a PNG, JPEG or WebP image, a broken one, and one over the cap', async () => {
    await expect(normalizeAvatar(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), MAX)).rejects.toMatchObject({ code: ErrorCode.AvatarInvalid });
    await expect(normalizeAvatar(Buffer.from('GIF89a......'), MAX)).rejects.toMatchObject({ code: ErrorCode.AvatarInvalid });
    const png = await pixels(20, 20).png().toBuffer();
    await expect(normalizeAvatar(png.subarray(0, 60), MAX)).rejects.toMatchObject({ code: ErrorCode.AvatarInvalid, message: expect.stringMatching(/cannot be decoded/) });
    await expect(normalizeAvatar(png, 100)).rejects.toMatchObject({ code: ErrorCode.AvatarTooLarge });
  });
});
