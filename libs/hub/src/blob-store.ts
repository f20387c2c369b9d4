// Published files on disk, one per sha256 (<dir>/<first two hex digits>/<sha256>). A file is written to a temporary
// name while it is hashed and renamed into place only when complete, so a stored blob always has its hash.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  sha256: string;
  bytes: number;
}

export class BlobStore {
  constructor(private readonly root: string) {}

  pathOf(sha256: string): string {
    if (!SHA256_PATTERN.test(sha256)) throw new RangeError(`not a sha256: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return null;
    }
  }

  /** Stores a stream, hashing it on the way; more than `maxBytes` aborts the write (HUB_UPLOAD_TOO_LARGE). */
  async put(source: Readable, maxBytes: number): Promise<StoredBlob> {
    const incoming = join(this.root, 'incoming');
    await mkdir(incoming, { recursive: true });
    const temporary = join(incoming, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > maxBytes) return callback(new DoppelError(ErrorCode.HubUploadTooLarge, `The upload is larger than ${maxBytes} bytes (HUB_MAX_UPLOAD_BYTES).`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(temporary, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      const target = this.pathOf(sha256);
      await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
      await rename(temporary, target);
      return { sha256, bytes };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  open(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }
}
