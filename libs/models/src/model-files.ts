// A model's identity is the bytes of its files. The content hash is sha256 over a manifest of
// "<sha256 of file>  <path relative to the model folder>\n" lines, sorted by path (paths use "/").
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface ModelFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** Documentation and dotfiles do not change what a model computes, so they are not part of its identity. */
function isModelFile(relativePath: string): boolean {
  const name = relativePath.split('/').pop() ?? '';
  return !name.startsWith('.') && !/\.md$/i.test(name);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter(isModelFile)
    .sort();
}

export async function hashModelFolder(folder: string): Promise<{ files: ModelFile[]; contentHash: string }> {
  const paths = await listFiles(folder).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read model folder ${folder}: ${error.code === 'ENOENT' ? 'it does not exist' : error.message}`);
  });
  if (paths.length === 0) throw new Error(`model folder ${folder} holds no model files`);
  const files: ModelFile[] = [];
  for (const path of paths) {
    const absolute = join(folder, path);
    files.push({ path, sha256: await sha256File(absolute), bytes: (await stat(absolute)).size });
  }
  return { files, contentHash: manifestHash(files) };
}

export function manifestHash(files: readonly ModelFile[]): string {
  const manifest = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.path}\n`)
    .join('');
  return createHash('sha256').update(manifest).digest('hex');
}

export class ModelIntegrityError extends Error {
  constructor(
    readonly modelId: string,
    readonly filePath: string,
    reason: string,
  ) {
    super(`model ${modelId} refused: ${filePath} ${reason}. Restore the file, or re-register the model if the change is intended.`);
    this.name = 'ModelIntegrityError';
  }
}

/** Re-hashes every registered file; the first missing or changed file refuses the model, by name. */
export async function verifyModelFiles(modelId: string, folder: string, registered: readonly ModelFile[]): Promise<void> {
  for (const file of registered) {
    let actual: string;
    try {
      actual = await sha256File(join(folder, file.path));
    } catch {
      throw new ModelIntegrityError(modelId, file.path, 'is missing');
    }
    if (actual !== file.sha256) throw new ModelIntegrityError(modelId, file.path, `has sha256 ${actual.slice(0, 12)}…, registered ${file.sha256.slice(0, 12)}…`);
  }
}
