// Reads the tEXt chunks of a PNG (checking signature, chunk bounds and every CRC) and writes a minimal PNG with some.
import { crc32, deflateSync } from 'node:zlib';
import { importInvalid, importTooLarge } from './import-errors';
import { IMPORT_LIMITS } from './import-limits';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngTextChunk {
  keyword: string;
  text: string;
}

export function isPng(bytes: Buffer): boolean {
  return bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
}

/** Every tEXt chunk in file order. Throws IMPORT_INVALID on a truncated or corrupted file. */
export function readPngTextChunks(bytes: Buffer): PngTextChunk[] {
  if (!isPng(bytes)) throw importInvalid('The file is not a PNG (wrong signature).');
  const textChunks: PngTextChunk[] = [];
  let offset = PNG_SIGNATURE.length;
  let chunkCount = 0;
  let sawEnd = false;
  while (offset < bytes.length && !sawEnd) {
    if (++chunkCount > IMPORT_LIMITS.maxPngChunks) throw importInvalid(`The PNG has more than ${IMPORT_LIMITS.maxPngChunks} chunks.`);
    if (offset + 12 > bytes.length) throw importInvalid('The PNG is truncated (a chunk header is cut off); export the card again.');
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const dataEnd = offset + 8 + length;
    if (length > 0x7fffffff || dataEnd + 4 > bytes.length) throw importInvalid(`The PNG is truncated (chunk ${printable(type)} runs past the end of the file); export the card again.`);
    const expectedCrc = bytes.readUInt32BE(dataEnd);
    if (crc32(bytes.subarray(offset + 4, dataEnd)) !== expectedCrc) {
      throw importInvalid(`The PNG is corrupted (CRC mismatch in chunk ${printable(type)}); export the card again.`);
    }
    if (chunkCount === 1 && type !== 'IHDR') throw importInvalid('The PNG is not valid (the first chunk is not IHDR).');
    if (type === 'tEXt') textChunks.push(parseTextChunk(bytes.subarray(offset + 8, dataEnd)));
    if (type === 'IEND') sawEnd = true;
    offset = dataEnd + 4;
  }
  if (!sawEnd) throw importInvalid('The PNG is truncated (no IEND chunk); export the card again.');
  return textChunks;
}

function parseTextChunk(data: Buffer): PngTextChunk {
  const separator = data.indexOf(0);
  if (separator < 1 || separator > 79) throw importInvalid('The PNG has a malformed tEXt chunk (no keyword).');
  if (data.length - separator - 1 > IMPORT_LIMITS.maxCardJsonBytes * 2) throw importTooLarge('A tEXt chunk of the PNG', IMPORT_LIMITS.maxCardJsonBytes * 2);
  return { keyword: data.toString('latin1', 0, separator), text: data.toString('latin1', separator + 1) };
}

function printable(type: string): string {
  return /^[A-Za-z]{4}$/.test(type) ? type : '(unreadable)';
}

/** A valid 1x1 opaque PNG carrying the given tEXt chunks (text must be Latin-1; base64 is). */
export function buildPngWithTextChunks(textChunks: PngTextChunk[]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0); // width
  header.writeUInt32BE(1, 4); // height
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: truecolour
  // compression, filter and interlace methods stay 0
  const oneGreyPixelScanline = Buffer.from([0, 0x80, 0x80, 0x80]);
  return Buffer.concat([
    PNG_SIGNATURE,
    encodeChunk('IHDR', header),
    ...textChunks.map((chunk) => encodeChunk('tEXt', Buffer.concat([Buffer.from(chunk.keyword, 'latin1'), Buffer.from([0]), Buffer.from(chunk.text, 'latin1')]))),
    encodeChunk('IDAT', deflateSync(oneGreyPixelScanline)),
    encodeChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function encodeChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}
