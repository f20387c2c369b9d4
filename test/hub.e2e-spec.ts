// The model hub through the real gateway and workers: publishing the shipped nano model (content-addressed,
// immutable versions, `latest`), signed publications, bad uploads refused with stable codes, and a fresh worker
// that pulls the model by name@version, verifies every file, serves it, and signs receipts that point back at it.
import { openAsBlob } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Wallet } from 'ethers';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { cardHash, PUBLICATION_TYPES, publicationDomain } from '@doppel/hub';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

const NANO = resolve(__dirname, '../models/doppel-nano-chat');

function nanoCard(id: string, extra = ''): string {
  return `---\nid: ${id}\nname: Nano Hub Chat\ntask: chat\nformat: onnx\nparameters: 2400000\nlicense: apache-2.0\nlanguages: [en]\ntags: [chat, tiny, test]\nverification: [signed, reexec]\nauthor: doppel\n${extra}---\n\n# Nano Hub Chat\n\nThe project's small chat model, published to the hub by the test suite.\n`;
}

async function modelFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(folder, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

async function publishFolder(url: string, apiKey: string | undefined, card: string, folder: string, paths?: string[], extra: Record<string, string> = {}) {
  const form = new FormData();
  form.append('card', card);
  for (const [name, value] of Object.entries(extra)) form.append(name, value);
  for (const path of paths ?? (await modelFiles(folder))) form.append('file', await openAsBlob(join(folder, path)), path);
  const response = await fetch(`${url}/hub/models`, { method: 'POST', body: form, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  return { status: response.status, body: (await response.json()) as any };
}

describe('model hub', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let scratch: string;
  let blobDir: string;
  let publisher: { id: string; apiKey: string };
  let stranger: { id: string; apiKey: string };
  let socket: ChatClient;
  const workers: RunningProcess[] = [];
  let version1Hash: string;
  let version2Hash: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'doppel-hub-'));
    blobDir = join(scratch, 'blobs');
    stack = await startStack(['hub-node-a'], { HUB_BLOB_DIR: blobDir });
    db = testDatabase();
    publisher = await signUp(stack.url, 'Publisher');
    stranger = await signUp(stack.url, 'Stranger');
    socket = await connectChat(stack.url, publisher.apiKey);
  }, 60_000);

  afterAll(async () => {
    socket?.close();
    for (const worker of workers) await worker.stop();
    await stack?.stop();
    await db?.destroy();
    await rm(scratch, { recursive: true, force: true });
  });

  it('publishes the shipped nano model: its hub id is the manifest hash the registry and receipts use', async () => {
    const published = await publishFolder(stack.url, publisher.apiKey, nanoCard('nano-hub'), NANO);
    expect(published.status).toBe(201);
    const registered = await api(stack.url, publisher.apiKey)('GET', '/models/doppel-nano-chat');
    expect(published.body).toMatchObject({ name: 'nano-hub', version: 1, latestVersion: 1, source: 'files', modelHash: registered.body.contentHash });
    expect(published.body.receiptModelHash).toBe(`0x${registered.body.contentHash}`);
    expect(published.body.files.map((file: { path: string }) => file.path)).toEqual(registered.body.files.map((file: { path: string }) => file.path));
    expect(published.body.provenance).toMatchObject({ publisher: { accountId: publisher.id, displayName: 'Publisher' }, signature: null, parent: null });
    version1Hash = published.body.modelHash;

    const onnx = published.body.files.find((file: { path: string }) => file.path === 'onnx/model.onnx');
    const download = await fetch(`${stack.url}/hub/blobs/${onnx.sha256}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(await readFile(join(NANO, 'onnx/model.onnx')))).toBe(true);
  }, 60_000);

  it('keeps versions immutable: the same bytes are refused, new bytes are the next version and latest moves', async () => {
    expect(await publishFolder(stack.url, publisher.apiKey, nanoCard('nano-hub'), NANO)).toMatchObject({
      status: 409,
      body: { code: ErrorCode.HubVersionExists, details: { name: 'nano-hub', version: 1 } },
    });
    const tuned = join(scratch, 'nano-tuned');
    await import('node:fs/promises').then((fs) => fs.cp(NANO, tuned, { recursive: true }));
    const generation = JSON.parse(await readFile(join(tuned, 'generation_config.json'), 'utf8'));
    await writeFile(join(tuned, 'generation_config.json'), JSON.stringify({ ...generation, temperature: 0.5 }));
    const second = await publishFolder(stack.url, publisher.apiKey, nanoCard('nano-hub', `base_model: nano-hub@1\nbase_model_relation: fine-tune\n`), tuned);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ version: 2, latestVersion: 2, provenance: { parent: { ref: 'nano-hub@1', modelHash: version1Hash, relation: 'fine-tune', name: 'nano-hub', version: 1 } } });
    version2Hash = second.body.modelHash;

    const call = api(stack.url);
    expect((await call('GET', '/hub/models/nano-hub')).body).toMatchObject({ version: 2, modelHash: version2Hash });
    expect((await call('GET', '/hub/models/nano-hub@latest')).body.version).toBe(2);
    const first = await call('GET', '/hub/models/nano-hub@1');
    expect(first.body).toMatchObject({ version: 1, latestVersion: 2, modelHash: version1Hash });
    expect(first.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(first.body.provenance.children).toEqual([expect.objectContaining({ name: 'nano-hub', version: 2, relation: 'fine-tune' })]);
    expect((await call('GET', `/hub/models/0x${version1Hash.toUpperCase()}`)).body.version).toBe(1);
    await expect(sql`UPDATE hub_versions SET version = 7 WHERE model_hash = ${version1Hash}`.execute(db)).rejects.toThrow(/immutable/);

    // The name belongs to its first publisher.
    expect(await publishFolder(stack.url, stranger.apiKey, nanoCard('nano-hub'), tuned, ['config.json'])).toMatchObject({ status: 409, body: { code: ErrorCode.HubNameTaken } });
  }, 60_000);

  it('checks a publisher’s EIP-712 signature on upload', async () => {
    const wallet = Wallet.createRandom();
    const card = nanoCard('signed-listing').replace('task: chat', 'task: text-classification');
    const { cardOnlyModelHash } = await import('@doppel/hub');
    const message = { name: 'signed-listing', modelHash: `0x${cardOnlyModelHash(card)}`, cardHash: `0x${cardHash(card)}` };
    const signature = await wallet.signTypedData(publicationDomain(1337), { ModelPublication: [...PUBLICATION_TYPES.ModelPublication] }, message);
    const call = api(stack.url, publisher.apiKey);
    expect(await call('POST', '/hub/models', { card, signer: Wallet.createRandom().address, signature })).toMatchObject({ status: 400, body: { code: ErrorCode.HubSignatureInvalid } });
    const signed = await call('POST', '/hub/models', { card, signer: wallet.address, signature });
    expect(signed.status).toBe(201);
    expect(signed.body).toMatchObject({ source: 'card', files: [], provenance: { signature: { signer: wallet.address.toLowerCase(), signature: signature.toLowerCase() } } });
    expect(signed.body.modelHash).toBe(cardOnlyModelHash(card));
  });

  it('refuses bad publications with stable codes, and anonymous ones', async () => {
    const call = api(stack.url, publisher.apiKey);
    expect(await publishFolder(stack.url, undefined, nanoCard('anon'), NANO, ['config.json'])).toMatchObject({ status: 401, body: { code: ErrorCode.Unauthenticated } });
    expect(await publishFolder(stack.url, publisher.apiKey, '# no front matter', NANO, ['config.json'])).toMatchObject({ status: 400, body: { code: ErrorCode.HubCardInvalid } });
    const traversal = new FormData();
    traversal.append('card', nanoCard('bad-paths'));
    traversal.append('file', new Blob(['x']), '../../etc/passwd');
    const refused = await fetch(`${stack.url}/hub/models`, { method: 'POST', body: traversal, headers: { authorization: `Bearer ${publisher.apiKey}` } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: ErrorCode.HubUploadInvalid, message: expect.stringContaining('../../etc/passwd') });
    const noCard = new FormData();
    noCard.append('file', new Blob(['x']), 'config.json');
    expect((await fetch(`${stack.url}/hub/models`, { method: 'POST', body: noCard, headers: { authorization: `Bearer ${publisher.apiKey}` } })).status).toBe(400);
    expect(await call('POST', '/hub/models', { card: nanoCard('x'), remote: { baseUrl: 'ftp://nope', upstreamModel: 'm' } })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
    expect(await call('POST', '/hub/models', { card: nanoCard('orphan', 'base_model: nowhere@3\n') })).toMatchObject({ status: 400, body: { code: ErrorCode.HubCardInvalid } });
    expect(await call('GET', '/hub/models/Not A Ref')).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
    expect(await call('GET', '/hub/models/never-published@1')).toMatchObject({ status: 404, body: { code: ErrorCode.HubModelNotFound } });
    expect(await call('GET', `/hub/blobs/${'0'.repeat(64)}`)).toMatchObject({ status: 404, body: { code: ErrorCode.HubBlobNotFound } });
    expect(await call('GET', '/hub/models?limit=500')).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
  });

  it('lets a fresh worker pull nano-hub@1, serve it, and sign receipts that resolve to the hub entry', async () => {
    const cacheDir = join(scratch, 'cache');
    const env = testEnv({ HUB_URL: stack.url, HUB_MODELS: 'nano-hub@1', HUB_CACHE_DIR: cacheDir, CHAT_MODELS: 'synthetic', LOG_LEVEL: 'log' });
    const worker = await startWorker('hub-puller', env);
    workers.push(worker);
    expect(worker.output()).toMatch(/pulled nano-hub \(6 files/);
    expect(worker.output()).toMatch(/models synthetic, nano-hub/);
    await waitFor(async () => ((await api(stack.url)('GET', '/hub/models/nano-hub@1')).body.servingNodes as { nodeId: string }[]).some((node) => node.nodeId === 'hub-puller'), 'the hub to list hub-puller as serving nano-hub@1');
    const entry = await api(stack.url)('GET', '/hub/models/nano-hub@1');
    expect(entry.body.servingNodes).toEqual([expect.objectContaining({ nodeId: 'hub-puller', modelId: 'nano-hub', servesTurns: true, levels: ['none', 'signed'], revoked: false })]);

    const call = api(stack.url, publisher.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Pulled', defaultModel: 'nano-hub', generation: { maxTokens: 16 } })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const turn = await sendTurn(socket, { conversationId, text: 'Hello there', verification: 'signed' }, 30_000);
    expect(turn.done).not.toBeNull();
    const receiptModelHash = (turn.done!.verification!.receipt.message as Record<string, string>).modelHash!;
    expect(receiptModelHash).toBe(`0x${version1Hash}`);
    expect((await api(stack.url)('GET', `/hub/models/${receiptModelHash}`)).body).toMatchObject({ name: 'nano-hub', version: 1 });

    // A restart finds the verified copy in its cache and downloads nothing.
    await worker.stop();
    const again = await startWorker('hub-puller', env);
    workers.push(again);
    expect(again.output()).not.toMatch(/pulled nano-hub/);
    expect(again.output()).toMatch(/models synthetic, nano-hub/);
  }, 90_000);

  it('refuses, by file name, a model whose file was tampered with on the hub', async () => {
    const entry = (await api(stack.url)('GET', '/hub/models/nano-hub@2')).body;
    const generation = entry.files.find((file: { path: string }) => file.path === 'generation_config.json');
    const blobPath = join(blobDir, generation.sha256.slice(0, 2), generation.sha256);
    const bytes = await readFile(blobPath);
    bytes[0] = bytes[0]! ^ 0x20;
    await writeFile(blobPath, bytes);
    const worker = await startWorker('hub-tampered', testEnv({ HUB_URL: stack.url, HUB_MODELS: 'nano-hub@2', HUB_CACHE_DIR: join(scratch, 'cache-2'), CHAT_MODELS: 'synthetic' }));
    workers.push(worker);
    expect(worker.output()).toMatch(/refused: nano-hub@2/);
    const ready = await waitFor(async () => {
      const body = (await api(stack.url)('GET', '/health/ready')).body as { workers: { nodeId: string; refusedModels: { modelId: string; reason: string }[] }[] };
      return body.workers.find((node) => node.nodeId === 'hub-tampered');
    }, 'hub-tampered to report');
    expect(ready.refusedModels).toEqual([{ modelId: 'nano-hub@2', reason: expect.stringMatching(/generation_config\.json arrived with sha256/) }]);
  }, 60_000);
});
