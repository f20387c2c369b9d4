// Builds small zip archives for the specs (stored or deflated entries), so CHARX fixtures need no binary files.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipFixtureEntry {
  name: string;
  content: Buffer;
  method?: 'stored' | 'deflate';
  /** Lie about the uncompressed size in the headers (for the zip-bomb test). */
  declaredSize?: number;
  /**
   * Write sizes as some tools do (a real CHARX the old hand-written reader refused): 0xFFFFFFFF in the central
   * directory with the real sizes in a ZIP64 extra field, zeros in the local header, a data descriptor after the data.
   */
  zip64Sizes?: boolean;
}

export function buildZip(entries: ZipFixtureEntry[]): Buffer {
  const localParts: Buffer[] = [];
  const centralParts: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const method = entry.method === 'deflate' ? 8 : 0;
    const data = method === 8 ? deflateRawSync(entry.content) : entry.content;
    const crc = crc32(entry.content);
    const size = entry.declaredSize ?? entry.content.length;

    const zip64 = entry.zip64Sizes === true;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(zip64 ? 0x8 : 0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(zip64 ? 0 : crc, 14);
    local.writeUInt32LE(zip64 ? 0 : data.length, 18);
    local.writeUInt32LE(zip64 ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(zip64 ? 24 : 0);
    if (zip64) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeBigUInt64LE(BigInt(data.length), 8);
      descriptor.writeBigUInt64LE(BigInt(size), 16);
    }
    const extra = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
    }

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(zip64 ? 45 : 20, 4);
    central.writeUInt16LE(zip64 ? 45 : 20, 6);
    central.writeUInt16LE(zip64 ? 0x8 : 0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);

    localParts.push(local, name, data, descriptor);
    centralParts.push(central, name, extra);
    offset += local.length + name.length + data.length + descriptor.length;
  }
  const directory = Buffer.concat(centralParts);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...localParts, directory, end]);
}
