// Reads one named entry out of a zip (stored or deflated), trusting nothing in the archive: bounds, sizes and CRC
// are checked, and inflation stops at the cap so a zip bomb costs no more than a real card.
import { crc32, inflateRawSync } from 'node:zlib';
import { importInvalid, importTooLarge } from './import-errors';
import { IMPORT_LIMITS } from './import-limits';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_DIRECTORY_SIGNATURE = 0x06054b50;
const END_OF_DIRECTORY_MIN_BYTES = 22;
const MAX_ZIP_COMMENT_BYTES = 0xffff;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE;
}

/** The entry's bytes, or null when the archive has no entry by that name (compared case-insensitively). */
export function readZipEntry(bytes: Buffer, entryName: string, maxEntryBytes: number = IMPORT_LIMITS.maxCardJsonBytes): Buffer | null {
  const entry = readCentralDirectory(bytes).find((candidate) => candidate.name.toLowerCase() === entryName.toLowerCase());
  return entry ? extractEntry(bytes, entry, maxEntryBytes) : null;
}

function readCentralDirectory(bytes: Buffer): CentralEntry[] {
  const endOffset = findEndOfDirectory(bytes);
  const entryCount = bytes.readUInt16LE(endOffset + 10);
  const directorySize = bytes.readUInt32LE(endOffset + 12);
  const directoryOffset = bytes.readUInt32LE(endOffset + 16);
  if (entryCount === 0xffff || directoryOffset === 0xffffffff) throw importInvalid('ZIP64 archives are not supported; save the CHARX as a plain zip.');
  if (entryCount > IMPORT_LIMITS.maxZipEntries) throw importInvalid(`The zip has more than ${IMPORT_LIMITS.maxZipEntries} entries.`);
  if (directoryOffset + directorySize > endOffset) throw importInvalid('The zip is corrupted (its central directory lies outside the file).');

  const entries: CentralEntry[] = [];
  let offset = directoryOffset;
  for (let index = 0; index < entryCount; index++) {
    if (offset + 46 > endOffset || bytes.readUInt32LE(offset) !== CENTRAL_HEADER_SIGNATURE) throw importInvalid('The zip is corrupted (bad central directory entry).');
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    if (offset + 46 + nameLength > endOffset) throw importInvalid('The zip is corrupted (an entry name runs past the directory).');
    entries.push({
      name: bytes.toString('utf8', offset + 46, offset + 46 + nameLength),
      flags: bytes.readUInt16LE(offset + 8),
      method: bytes.readUInt16LE(offset + 10),
      crc: bytes.readUInt32LE(offset + 16),
      compressedSize: bytes.readUInt32LE(offset + 20),
      uncompressedSize: bytes.readUInt32LE(offset + 24),
      localHeaderOffset: bytes.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndOfDirectory(bytes: Buffer): number {
  const lowest = Math.max(0, bytes.length - END_OF_DIRECTORY_MIN_BYTES - MAX_ZIP_COMMENT_BYTES);
  for (let offset = bytes.length - END_OF_DIRECTORY_MIN_BYTES; offset >= lowest; offset--) {
    if (bytes.readUInt32LE(offset) === END_OF_DIRECTORY_SIGNATURE) return offset;
  }
  throw importInvalid('The zip is truncated or corrupted (no end-of-directory record); export the CHARX again.');
}

function extractEntry(bytes: Buffer, entry: CentralEntry, maxEntryBytes: number): Buffer {
  if (entry.flags & 0x1) throw importInvalid(`The zip entry ${entry.name} is encrypted; export it without a password.`);
  if (entry.uncompressedSize > maxEntryBytes) throw importTooLarge(`The zip entry ${entry.name}`, maxEntryBytes);
  const local = entry.localHeaderOffset;
  if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== LOCAL_HEADER_SIGNATURE) throw importInvalid(`The zip is corrupted (no local header for ${entry.name}).`);
  const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > bytes.length) throw importInvalid(`The zip is truncated (${entry.name} runs past the end of the file).`);
  const stored = bytes.subarray(dataStart, dataEnd);

  let content: Buffer;
  if (entry.method === METHOD_STORED) {
    content = stored;
  } else if (entry.method === METHOD_DEFLATE) {
    try {
      // maxOutputLength makes inflation fail instead of filling memory when the declared size lies.
      content = inflateRawSync(stored, { maxOutputLength: maxEntryBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw importTooLarge(`The zip entry ${entry.name}`, maxEntryBytes);
      throw importInvalid(`The zip entry ${entry.name} is corrupted (it does not inflate); export the CHARX again.`);
    }
  } else {
    throw importInvalid(`The zip entry ${entry.name} uses compression method ${entry.method}; only stored and deflate are supported.`);
  }
  if (content.length !== entry.uncompressedSize || crc32(content) !== entry.crc) {
    throw importInvalid(`The zip entry ${entry.name} is corrupted (size or CRC mismatch); export the CHARX again.`);
  }
  return content;
}
