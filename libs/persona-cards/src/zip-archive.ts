// Reads named entries out of a zip with yauzl (central directory, ZIP64 extra fields, data descriptors, declared
// sizes checked against what inflates). Entries are refused before inflating when their declared size or
// compression ratio looks like a bomb, and reading stops at the cap whatever the archive declares.
import { fromBufferPromise, type Entry, type ZipFile } from 'yauzl';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { importInvalid, importTooLarge } from './import-errors';
import { IMPORT_LIMITS } from './import-limits';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;

export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE;
}

export interface ZipReader {
  /** Entry names, as stored (at most IMPORT_LIMITS.maxZipEntries). */
  readonly names: readonly string[];
  /** The entry's bytes, or null when there is no such entry (names compared case-insensitively). */
  read(name: string, maxBytes: number): Promise<Buffer | null>;
  close(): void;
}

export async function openZip(bytes: Buffer): Promise<ZipReader> {
  let zip: ZipFile;
  try {
    zip = await fromBufferPromise(bytes, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true, strictFileNames: false });
  } catch (error) {
    throw importInvalid(`The zip cannot be read (${(error as Error).message}); export the CHARX again.`);
  }
  try {
    if (zip.entryCount > IMPORT_LIMITS.maxZipEntries) throw importInvalid(`The zip has ${zip.entryCount} entries; at most ${IMPORT_LIMITS.maxZipEntries} are read.`);
    const entries: Entry[] = [];
    for await (const entry of zip.eachEntry()) entries.push(entry);
    return {
      names: entries.map((entry) => entry.fileName),
      read: (name, maxBytes) => {
        const entry = entries.find((candidate) => candidate.fileName.toLowerCase() === name.toLowerCase());
        return entry ? readEntry(zip, entry, maxBytes) : Promise.resolve(null);
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    if (error instanceof DoppelError) throw error;
    throw importInvalid(`The zip is corrupted (${(error as Error).message}); export the CHARX again.`);
  }
}

async function readEntry(zip: ZipFile, entry: Entry, maxBytes: number): Promise<Buffer> {
  const name = entry.fileName;
  if (entry.isEncrypted()) throw importInvalid(`The zip entry ${name} is encrypted; export it without a password.`);
  if (entry.uncompressedSize > maxBytes) throw importTooLarge(`The zip entry ${name}`, maxBytes);
  if (entry.compressedSize > 0 && entry.uncompressedSize / entry.compressedSize > IMPORT_LIMITS.maxZipRatio) {
    throw importInvalid(`The zip entry ${name} expands more than ${IMPORT_LIMITS.maxZipRatio} times; that is a zip bomb, not a character.`);
  }
  try {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        stream.destroy();
        throw importTooLarge(`The zip entry ${name}`, maxBytes);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof DoppelError && error.code === ErrorCode.ImportTooLarge) throw error;
    throw importInvalid(`The zip entry ${name} is corrupted (${(error as Error).message}); export the CHARX again.`);
  }
}
