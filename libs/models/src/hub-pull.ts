// Pulls a model from a hub (HUB_URL) onto this node: its manifest by model hash or name@version, then every file,
// hashed as it arrives. A file whose bytes do not match the manifest is refused by name and nothing is kept; a
// complete download is cached by model hash under HUB_CACHE_DIR and reused while its files still verify.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { manifestHash, ModelIntegrityError, verifyModelFiles, type ModelFile } from './model-files';

export interface PulledModel {
  /** The hub's model name: the id this node registers and serves it under. */
  modelId: string;
  kind: 'chat' | 'embedding';
  folder: string;
  files: ModelFile[];
  modelHash: string;
  /** false when the cached copy verified and nothing was downloaded. */
  downloaded: boolean;
}

interface HubEntry {
  name: string;
  version: number;
  modelHash: string;
  source: 'files' | 'remote' | 'card';
  card: { task: string; format?: string };
  files: ModelFile[];
}

const FILE_TIMEOUT_MS = 10 * 60_000;
const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const KIND_BY_TASK: Record<string, 'chat' | 'embedding'> = { chat: 'chat', 'text-generation': 'chat', 'sentence-embedding': 'embedding' };

export class HubPuller {
  constructor(
    private readonly hubUrl: string,
    private readonly cacheDir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async pull(ref: string): Promise<PulledModel> {
    const entry = await this.manifest(ref);
    const kind = KIND_BY_TASK[entry.card.task];
    if (entry.source !== 'files' || entry.card.format !== 'onnx' || !kind) {
      throw new Error(`hub model ${ref} cannot be served here: nodes run ONNX chat, text-generation or sentence-embedding models with files (this one is ${entry.source}, ${entry.card.format ?? 'no format'}, ${entry.card.task})`);
    }
    const expectedHash = ref.toLowerCase().replace(/^0x/, '');
    if (/^[0-9a-f]{64}$/.test(expectedHash) && entry.modelHash !== expectedHash) throw new Error(`the hub answered ${ref} with model ${entry.modelHash}`);
    for (const file of entry.files) {
      if (!SAFE_PATH.test(file.path) || !/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error(`hub model ${ref} lists an unusable file ${JSON.stringify(file.path)}`);
    }
    if (manifestHash(entry.files) !== entry.modelHash) throw new Error(`hub model ${ref}: its files do not hash to its model hash ${entry.modelHash}; refusing it`);

    const modelId = entry.name;
    const folder = join(this.cacheDir, entry.modelHash);
    if (await exists(folder)) {
      try {
        await verifyModelFiles(modelId, folder, entry.files);
        return { modelId, kind, folder, files: entry.files, modelHash: entry.modelHash, downloaded: false };
      } catch (error) {
        this.log(`cached copy of ${modelId} refused (${(error as Error).message}); downloading it again`);
        await rm(folder, { recursive: true, force: true });
      }
    }
    await this.download(modelId, entry, folder);
    return { modelId, kind, folder, files: entry.files, modelHash: entry.modelHash, downloaded: true };
  }

  private async manifest(ref: string): Promise<HubEntry> {
    const url = new URL(`hub/models/${encodeURIComponent(ref)}`, withSlash(this.hubUrl));
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch((error: Error) => {
      throw new Error(`cannot reach the hub at ${this.hubUrl} (${error.message})`);
    });
    if (!response.ok) throw new Error(`the hub at ${this.hubUrl} answered ${response.status} for ${ref}: ${(await response.text()).slice(0, 300)}`);
    return (await response.json()) as HubEntry;
  }

  /** Into a staging folder first, renamed into place only once every file verified. */
  private async download(modelId: string, entry: HubEntry, folder: string): Promise<void> {
    const staging = join(this.cacheDir, `.incoming-${entry.modelHash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    try {
      for (const file of entry.files) {
        const target = join(staging, file.path);
        await mkdir(dirname(target), { recursive: true });
        await this.downloadFile(modelId, file, target);
      }
      await mkdir(this.cacheDir, { recursive: true });
      await rename(staging, folder);
      this.log(`pulled ${modelId} (${entry.files.length} files, ${entry.modelHash.slice(0, 16)}…) from ${this.hubUrl}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async downloadFile(modelId: string, file: ModelFile, target: string): Promise<void> {
    const url = new URL(`hub/blobs/${file.sha256}`, withSlash(this.hubUrl));
    const response = await fetch(url, { signal: AbortSignal.timeout(FILE_TIMEOUT_MS) });
    if (!response.ok || !response.body) throw new ModelIntegrityError(modelId, file.path, `could not be downloaded (the hub answered ${response.status})`);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > file.bytes) return callback(new ModelIntegrityError(modelId, file.path, `is longer than the ${file.bytes} bytes its manifest lists`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(target));
    } catch (error) {
      if (error instanceof ModelIntegrityError) throw error;
      throw new ModelIntegrityError(modelId, file.path, `download failed after ${bytes} of ${file.bytes} bytes (${(error as Error).message})`);
    }
    if (bytes !== file.bytes) throw new ModelIntegrityError(modelId, file.path, `is truncated: ${bytes} of ${file.bytes} bytes arrived`);
    const actual = hash.digest('hex');
    if (actual !== file.sha256) throw new ModelIntegrityError(modelId, file.path, `arrived with sha256 ${actual.slice(0, 12)}…, the hub's manifest says ${file.sha256.slice(0, 12)}…`);
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
