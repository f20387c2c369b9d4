import { isAbsolute, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { declaredModelHash, type ModelSpec } from '@doppel/inference';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { hashModelFolder, type ModelFile } from './model-files';
import type { ModelRecord, RegisterModelInput } from './model-record';
import { ModelsRepository } from './models.repository';

/** Models every deployment has; the project's shipped ONNX models are added when their folders exist. */
export const BUILT_IN_MODELS = [
  { id: 'synthetic', kind: 'chat', backend: 'synthetic', dimensions: null },
  { id: 'hashing-384', kind: 'embedding', backend: 'hashing', dimensions: 384 },
] as const;

export const SHIPPED_MODELS = [
  { id: 'doppel-mini-chat-2', kind: 'chat', folder: 'doppel-mini-chat-2' },
  { id: 'doppel-mini-chat', kind: 'chat', folder: 'doppel-mini-chat' },
  { id: 'doppel-nano-chat', kind: 'chat', folder: 'doppel-nano-chat' },
  { id: 'doppel-embed-small', kind: 'embedding', folder: 'doppel-embed-small' },
] as const;


@Injectable()
export class ModelRegistry {
  constructor(
    private readonly repository: ModelsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(): Promise<ModelRecord[]> {
    const rows = await this.repository.list();
    return rows.map(toRecord);
  }

  async get(modelId: string): Promise<ModelRecord> {
    const row = await this.repository.find(modelId);
    if (!row) throw new DoppelError(ErrorCode.ModelNotFound, `Model ${modelId} is not registered (GET /models lists those that are).`);
    return toRecord(row);
  }

  async find(modelId: string): Promise<ModelRecord | null> {
    const row = await this.repository.find(modelId);
    return row ? toRecord(row) : null;
  }

  /** The absolute folder of an onnx model (locations may be relative to MODELS_DIR). */
  resolveLocation(record: Pick<ModelRecord, 'backend' | 'location'>): string {
    if (record.backend !== 'onnx') return record.location;
    return isAbsolute(record.location) ? record.location : resolve(this.config.models.dir, record.location);
  }

  toSpec(record: ModelRecord): ModelSpec {
    return { ...record, location: this.resolveLocation(record) };
  }

  /** Operators register models; files are hashed here, and the hash is what nodes check before loading. */
  async register(input: RegisterModelInput): Promise<ModelRecord> {
    if (await this.find(input.id)) throw new DoppelError(ErrorCode.ModelExists, `Model ${input.id} is already registered.`);
    return this.upsert(input.id, input.kind, input.backend, input.location, input.parameters ?? {});
  }

  /** A model pulled from a hub, registered at its cache folder; its files must hash to the hub's model hash. */
  async registerPulled(id: string, kind: 'chat' | 'embedding', folder: string, modelHash: string): Promise<ModelRecord> {
    const record = await this.upsert(id, kind, 'onnx', folder, {});
    if (record.contentHash !== modelHash) throw new DoppelError(ErrorCode.ModelInvalid, `model ${id} at ${folder} hashes to ${record.contentHash}, not the hub's ${modelHash}`);
    return record;
  }

  /** Registers the built-in and shipped models, re-hashing shipped folders (a rebuilt model gets its new hash). */
  async syncBuiltIns(onProgress: (line: string) => void = () => {}): Promise<void> {
    for (const model of BUILT_IN_MODELS) {
      await this.upsert(model.id, model.kind, model.backend, '', {}, model.dimensions);
    }
    for (const model of SHIPPED_MODELS) {
      try {
        const record = await this.upsert(model.id, model.kind, 'onnx', model.folder, {});
        onProgress(`${model.id}: ${record.files.length} files, content hash ${record.contentHash.slice(0, 16)}…`);
      } catch (error) {
        onProgress(`${model.id}: not registered (${(error as Error).message})`);
      }
    }
  }

  private async upsert(
    id: string,
    kind: 'chat' | 'embedding',
    backend: ModelRecord['backend'],
    location: string,
    parameters: Record<string, unknown>,
    builtInDimensions: number | null = null,
  ): Promise<ModelRecord> {
    let files: ModelFile[] = [];
    let contentHash: string | null;
    let dimensions = builtInDimensions;
    if (backend === 'onnx') {
      const folder = this.resolveLocation({ backend, location });
      const hashed = await hashModelFolder(folder).catch((error: Error) => {
        throw new DoppelError(ErrorCode.ModelInvalid, error.message);
      });
      files = hashed.files;
      contentHash = hashed.contentHash;
      if (kind === 'embedding') dimensions = await readHiddenSize(folder);
    } else {
      contentHash = declaredModelHash({ backend, location, parameters, dimensions });
    }
    const values = {
      id,
      kind,
      backend,
      location,
      parameters: JSON.stringify(parameters),
      content_hash: contentHash!,
      files: JSON.stringify(files),
      dimensions,
    };
    return toRecord(await this.repository.upsert(values));
  }
}

async function readHiddenSize(folder: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const config = JSON.parse(await readFile(resolve(folder, 'config.json'), 'utf8')) as { hidden_size?: number };
  if (!Number.isInteger(config.hidden_size)) throw new DoppelError(ErrorCode.ModelInvalid, `${folder}/config.json has no hidden_size`);
  return config.hidden_size!;
}

function toRecord(row: {
  id: string;
  kind: 'chat' | 'embedding';
  backend: ModelRecord['backend'];
  location: string;
  parameters: unknown;
  content_hash: string;
  files: unknown;
  dimensions: number | null;
  created_at: Date;
  updated_at: Date;
}): ModelRecord {
  return {
    id: row.id,
    kind: row.kind,
    backend: row.backend,
    location: row.location,
    parameters: row.parameters as Record<string, unknown>,
    contentHash: row.content_hash,
    files: row.files as ModelFile[],
    dimensions: row.dimensions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
