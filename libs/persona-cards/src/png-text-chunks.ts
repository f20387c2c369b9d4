// Character card PNGs: reading their tEXt chunks with fast-png (every chunk's CRC checked, the image decoded, so a
// truncated or corrupted file is refused), and writing a card into a PNG.
import { crc32, deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { importInvalid } from './import-errors';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Decoding allocates width × height × channels; real cards are 1-2 megapixels. */
const MAX_PNG_PIXELS = 24 * 1024 * 1024;
const IHDR_END = PNG_SIGNATURE.length + 8 + 13 + 4;

export interface PngTextChunk {
  keyword: string;
  text: string;
}

export function isPng(bytes: Buffer): boolean {
  return bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
}

/** The tEXt chunks by keyword. Throws IMPORT_INVALID on a truncated, corrupted or oversized image. */
export function readPngText(bytes: Buffer): Record<string, string> {
  if (!isPng(bytes)) throw importInvalid('The file is not a PNG (wrong signature).');
  if (bytes.length < IHDR_END || bytes.toString('latin1', 12, 16) !== 'IHDR') throw importInvalid('The PNG is not valid (the first chunk is not IHDR).');
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width * height > MAX_PNG_PIXELS) throw importInvalid(`The PNG is ${width}x${height} pixels; card images may have at most ${MAX_PNG_PIXELS} pixels.`);
  try {
    return decode(bytes, { checkCrc: true }).text;
  } catch (error) {
    throw importInvalid(`The PNG is truncated or corrupted (${(error as Error).message}); export the card again.`);
  }
}

/** The PNG with the given tEXt chunks placed right after its IHDR (the image itself is not touched). */
export function withTextChunks(png: Buffer, textChunks: PngTextChunk[]): Buffer {
  return Buffer.concat([png.subarray(0, IHDR_END), ...textChunks.map(textChunk), png.subarray(IHDR_END)]);
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
    ...textChunks.map(textChunk),
    encodeChunk('IDAT', deflateSync(oneGreyPixelScanline)),
    encodeChunk('IEND', Buffer.alloc(0)),
  ]);
}

function textChunk(chunk: PngTextChunk): Buffer {
  return encodeChunk('tEXt', Buffer.concat([Buffer.from(chunk.keyword, 'latin1'), Buffer.from([0]), Buffer.from(chunk.text, 'latin1')]));
}

export function encodeChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}
