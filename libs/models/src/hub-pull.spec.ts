// The node side of the hub against a real HTTP server that answers like one: manifests and blobs by hash, and
// blobs that can be made wrong or short on purpose.
import { createHash } from 'node:crypto';
import { readFile, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HubPuller } from './hub-pull';
import { manifestHash, ModelIntegrityError } from './model-files';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const FILES: Record<string, Buffer> = { 'onnx/model.onnx': Buffer.from('weights'.repeat(1000)), 'tokenizer.json': Buffer.from('{"vocab":1}') };
const manifestFiles = Object.entries(FILES).map(([path, bytes]) => ({ path, sha256: sha256(bytes), bytes: bytes.length }));
const MODEL_HASH = manifestHash(manifestFiles);

describe('HubPuller', () => {
  let server: Server;
  let hubUrl: string;
  let cacheDir: string;
  let served: Record<string, Buffer>;
  let entry: Record<string, unknown>;
  let blobRequests: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const blob = /^\/hub\/blobs\/([0-9a-f]{64})$/.exec(request.url ?? '');
      if (blob) {
        blobRequests++;
        const path = manifestFiles.find((file) => file.sha256 === blob[1])?.path;
        if (!path) return void response.writeHead(404).end();
        return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(served[path]);
      }
      if (request.url === '/hub/models/tiny-chat%401' || request.url?.replace('/0x', '/') === `/hub/models/${MODEL_HASH}`) {
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entry));
      }
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"HUB_MODEL_NOT_FOUND"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'doppel-hub-cache-'));
    served = { ...FILES };
    blobRequests = 0;
    entry = { name: 'tiny-chat', version: 1, modelHash: MODEL_HASH, source: 'files', card: { task: 'chat', format: 'onnx' }, files: manifestFiles };
    return () => rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads every file by hash into a folder named by the model hash, and reuses it while it verifies', async () => {
    const puller = new HubPuller(hubUrl, cacheDir);
    const pulled = await puller.pull('tiny-chat@1');
    expect(pulled).toMatchObject({ modelId: 'tiny-chat', kind: 'chat', modelHash: MODEL_HASH, folder: join(cacheDir, MODEL_HASH), downloaded: true });
    expect(await readFile(join(pulled.folder, 'onnx/model.onnx'))).toEqual(FILES['onnx/model.onnx']);
    expect(blobRequests).toBe(2);

    expect(await puller.pull(MODEL_HASH)).toMatchObject({ downloaded: false });
    expect(blobRequests).toBe(2);

    await writeFile(join(pulled.folder, 'tokenizer.json'), '{"vocab":2}');
    expect(await puller.pull(`0x${MODEL_HASH}`)).toMatchObject({ downloaded: true });
    expect(await readFile(join(pulled.folder, 'tokenizer.json'), 'utf8')).toBe('{"vocab":1}');
  });

  it('refuses a tampered or truncated file by name, and keeps nothing of that download', async () => {
    served['tokenizer.json'] = Buffer.from('{"vocab":9}');
    const tampered = await new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1').catch((error: unknown) => error);
    expect(tampered).toBeInstanceOf(ModelIntegrityError);
    expect((tampered as ModelIntegrityError).filePath).toBe('tokenizer.json');
    expect((tampered as Error).message).toMatch(/tokenizer.json arrived with sha256/);

    served['tokenizer.json'] = FILES['tokenizer.json']!;
    served['onnx/model.onnx'] = FILES['onnx/model.onnx']!.subarray(0, 100);
    const truncated = await new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1').catch((error: unknown) => error);
    expect((truncated as ModelIntegrityError).filePath).toBe('onnx/model.onnx');
    expect((truncated as Error).message).toMatch(/truncated: 100 of 7000 bytes/);

    served['onnx/model.onnx'] = Buffer.concat([FILES['onnx/model.onnx']!, Buffer.from('extra')]);
    await expect(new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1')).rejects.toThrow(/onnx\/model.onnx is longer than/);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('refuses a manifest that does not hash to its model hash, unsafe paths, and models a node cannot serve', async () => {
    entry = { ...entry, modelHash: 'ab'.repeat(32) };
    await expect(new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1')).rejects.toThrow(/do not hash to its model hash/);
    entry = { ...entry, modelHash: MODEL_HASH, files: [{ path: '../escape', sha256: 'ab'.repeat(32), bytes: 1 }] };
    await expect(new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1')).rejects.toThrow(/unusable file/);
    entry = { ...entry, files: manifestFiles, card: { task: 'object-detection', format: 'onnx' } };
    await expect(new HubPuller(hubUrl, cacheDir).pull('tiny-chat@1')).rejects.toThrow(/cannot be served here/);
    await expect(new HubPuller(hubUrl, cacheDir).pull('missing@1')).rejects.toThrow(/answered 404/);
    await expect(new HubPuller('http://127.0.0.1:1', cacheDir).pull('tiny-chat@1')).rejects.toThrow(/cannot reach the hub/);
  });
});
