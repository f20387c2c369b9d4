import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashModelFolder, ModelIntegrityError, manifestHash, verifyModelFiles } from './model-files';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('model files', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'doppel-model-'));
    await mkdir(join(folder, 'onnx'));
    await writeFile(join(folder, 'onnx', 'model.onnx'), 'weights');
    await writeFile(join(folder, 'tokenizer.json'), '{"vocab":1}');
    await writeFile(join(folder, 'README.md'), 'docs do not count');
    await writeFile(join(folder, '.DS_Store'), 'nor do dotfiles');
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('hashes every model file, sorted, into the documented manifest', async () => {
    const { files, contentHash } = await hashModelFolder(folder);
    expect(files).toEqual([
      { path: 'onnx/model.onnx', sha256: sha256('weights'), bytes: 7 },
      { path: 'tokenizer.json', sha256: sha256('{"vocab":1}'), bytes: 11 },
    ]);
    expect(contentHash).toBe(sha256(`${sha256('weights')}  onnx/model.onnx\n${sha256('{"vocab":1}')}  tokenizer.json\n`));
    expect(manifestHash([...files].reverse())).toBe(contentHash);
  });

  it('accepts untouched files and refuses a changed or missing one, naming it', async () => {
    const { files } = await hashModelFolder(folder);
    await expect(verifyModelFiles('m', folder, files)).resolves.toBeUndefined();

    await writeFile(join(folder, 'onnx', 'model.onnx'), 'weightz');
    const changed = await verifyModelFiles('m', folder, files).catch((error: unknown) => error);
    expect(changed).toBeInstanceOf(ModelIntegrityError);
    expect((changed as ModelIntegrityError).filePath).toBe('onnx/model.onnx');
    expect((changed as Error).message).toMatch(/model m refused: onnx\/model.onnx has sha256/);

    await writeFile(join(folder, 'onnx', 'model.onnx'), 'weights');
    await rm(join(folder, 'tokenizer.json'));
    await expect(verifyModelFiles('m', folder, files)).rejects.toThrow(/tokenizer.json is missing/);
  });

  it('refuses a folder that does not exist or holds no model files', async () => {
    await expect(hashModelFolder(join(folder, 'nope'))).rejects.toThrow(/does not exist/);
    const empty = await mkdtemp(join(tmpdir(), 'doppel-empty-'));
    await expect(hashModelFolder(empty)).rejects.toThrow(/holds no model files/);
    await rm(empty, { recursive: true });
  });
});
