// Receipt settlement on a real local chain node (hardhat's, started by libs/chain): batch roots posted to
// ReceiptRegistry, every receipt's inclusion proof checked in TypeScript and by the contract, tampering refused; and
// the web app's Verify in a real browser (Debian's Chromium) checking the same proof in the page.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { Contract, Wallet, hexlify, randomBytes, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectContract, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@doppel/db';
import { SettlementBatcher, SettlementRepository, buildTree, hashPair, leafOf, receiptDigest, receiptLeaf, verifyProof } from '@doppel/settlement';
import type { Receipt } from '@doppel/verification';
import { launchChromium, requireChromium } from './support/chromium';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, waitFor, type Stack } from './support/processes';


let chain: LocalChain;
let provider: JsonRpcProvider;
let owner: Wallet, poster: Wallet, stranger: Wallet;
let registry: Contract;

export function fakeReceipt(node: string): Pick<Receipt, 'domain' | 'message'> {
  const hash = () => hexlify(randomBytes(32));
  return {
    domain: { name: 'Doppel', version: '1', chainId: 1337 },
    message: {
      turnId: randomUUID(),
      conversationId: randomUUID(),
      personaVersionHash: hash(),
      modelHash: hash(),
      inputHash: hash(),
      outputHash: hash(),
      paramsHash: hash(),
      memoriesHash: hash(),
      node,
      startedAt: Date.now() - 500,
      finishedAt: Date.now(),
      level: 'signed',
    },
  } as Pick<Receipt, 'domain' | 'message'>;
}

beforeAll(async () => {
  chain = await startLocalChain();
  provider = chain.provider();
  [owner, poster, stranger] = chain.accounts.slice(0, 3).map((account) => new Wallet(account.privateKey, provider)) as [Wallet, Wallet, Wallet];
  registry = (await deployContract(compileProjectContract('ReceiptRegistry'), owner, [poster.address])).contract as Contract;
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  await chain?.stop();
});

let db: Kysely<Database>;

/**
 * Stores receipts as the worker does (one row per finished turn, the receipt in `receipt`), with made-up turns:
 * replica mode skips the foreign keys to turns/messages/accounts, which this suite does not exercise.
 */
async function storeReceipts(count: number, createdAt: Date): Promise<string[]> {
  const rows = Array.from({ length: count }, () => ({ id: randomUUID(), receipt: fakeReceipt(stranger.address) }));
  await db.connection().execute(async (connection) => {
    await sql`SET session_replication_role = replica`.execute(connection);
    try {
      await connection
        .insertInto('receipts')
        .values(rows.map((row) => ({ id: row.id, turn_id: randomUUID(), message_id: randomUUID(), consumer_id: randomUUID(), level: 'signed', receipt: JSON.stringify(row.receipt), transcript: '{}', created_at: createdAt })) as never)
        .execute();
    } finally {
      await sql`SET session_replication_role = DEFAULT`.execute(connection);
    }
  });
  return rows.map((row) => row.id);
}

describe('ReceiptRegistry on the local chain', () => {
  it('a posted batch proves every receipt in TypeScript and in the contract; tampering fails', async () => {
    const digests = Array.from({ length: 11 }, () => receiptDigest(fakeReceipt(stranger.address)));
    const tree = buildTree(digests.map(leafOf));
    const tx = await registry.connect(poster).getFunction('postBatch')(7n, tree.root, BigInt(digests.length));
    const mined = await tx.wait();
    const [root, count, block] = (await registry.getFunction('batchOf')(7n)) as [string, bigint, bigint];
    expect(root).toBe(tree.root);
    expect(count).toBe(11n);
    expect(block).toBe(BigInt(mined.blockNumber));
    expect(mined.logs.map((log: { topics: string[]; data: string }) => registry.interface.parseLog(log)?.name)).toContain('BatchPosted');

    for (const [i, digest] of digests.entries()) {
      const proof = tree.proof(i);
      expect(await registry.getFunction('leafOf')(digest)).toBe(leafOf(digest));
      expect(verifyProof(leafOf(digest), proof, root)).toBe(true);
      expect(await registry.getFunction('verifyInclusion')(digest, proof, 7n)).toBe(true);
    }
    // A changed receipt, a changed proof element, another batch or a never-posted batch: all refused.
    const proof = tree.proof(3);
    const otherDigest = receiptDigest(fakeReceipt(stranger.address));
    expect(verifyProof(leafOf(otherDigest), proof, root)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(otherDigest, proof, 7n)).toBe(false);
    const tampered = [...proof];
    tampered[0] = `0x${(BigInt(tampered[0]!) ^ 1n).toString(16).padStart(64, '0')}`;
    expect(verifyProof(leafOf(digests[3]!), tampered, root)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(digests[3], tampered, 7n)).toBe(false);
    expect(await registry.getFunction('verifyInclusion')(digests[3], proof, 8n)).toBe(false);
    // An inner node offered as a receipt digest does not verify (leaf/inner domain separation).
    const inner = hashPair(tree.leaves[0]!, tree.leaves[1]!);
    expect(await registry.getFunction('verifyLeaf')(inner, tree.proof(0).slice(1), 7n)).toBe(true);
    expect(await registry.getFunction('verifyInclusion')(inner, tree.proof(0).slice(1), 7n)).toBe(false);
  });

  it('only the poster posts, a batch id is posted once, and an empty batch is refused', async () => {
    const root = leafOf(receiptDigest(fakeReceipt(stranger.address)));
    await expect(registry.connect(stranger).getFunction('postBatch')(9n, root, 1n)).rejects.toThrow(/NotPoster|revert/);
    await (await registry.connect(poster).getFunction('postBatch')(9n, root, 1n)).wait();
    await expect(registry.connect(poster).getFunction('postBatch')(9n, root, 1n)).rejects.toThrow(/BatchExists|revert/);
    await expect(registry.connect(poster).getFunction('postBatch')(10n, `0x${'00'.repeat(32)}`, 1n)).rejects.toThrow(/EmptyBatch|revert/);
    // A one-receipt batch: the root is the leaf and the proof is empty.
    expect(await registry.getFunction('verifyLeaf')(root, [], 9n)).toBe(true);
  });
});

describe('the settlement batcher', () => {
  let repository: SettlementRepository;
  const batcher = (max: number, maxAgeMs: number) => new SettlementBatcher(repository, registryAddress, poster, { max, maxAgeMs });
  let registryAddress: string;

  beforeAll(async () => {
    db = testDatabase();
    repository = new SettlementRepository(db);
    registryAddress = (await deployContract(compileProjectContract('ReceiptRegistry'), owner, [poster.address])).address;
    // Receipts other suites left behind settle first, so the counts below are this suite's own.
    await batcher(100_000, 1).tick(new Date(Date.now() + 3_600_000));
  });

  it('forms full batches at the size limit, keeps the rest until the age limit, and every receipt proves inclusion', async () => {
    const now = new Date();
    const ids = await storeReceipts(37, new Date(now.getTime() - 1000));
    const first = await batcher(16, 60_000).tick(now);
    expect(first.formed.map((batch) => batch.count)).toEqual([16, 16]);
    expect(first.posted).toHaveLength(2);
    // 5 receipts wait: younger than the age limit, nothing forms; once older, they form one batch.
    expect((await batcher(16, 60_000).tick(now)).formed).toEqual([]);
    const aged = await batcher(16, 60_000).tick(new Date(now.getTime() + 60_000));
    expect(aged.formed.map((batch) => batch.count)).toEqual([5]);

    const registry = new Contract(registryAddress, (compileProjectContract('ReceiptRegistry').abi as never), provider);
    const receipts = await db.selectFrom('receipts').select(['id', 'receipt']).where('id', 'in', ids).execute();
    for (const row of receipts) {
      const inclusion = await repository.inclusionOf(row.id);
      expect(inclusion).toBeDefined();
      const leaf = receiptLeaf(row.receipt as unknown as Receipt);
      expect(inclusion!.leaf).toBe(leaf);
      expect(inclusion!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      const [onChainRoot, , postedAtBlock] = (await registry.getFunction('batchOf')(BigInt(inclusion!.batchId))) as [string, bigint, bigint];
      expect(onChainRoot).toBe(inclusion!.root);
      expect(Number(postedAtBlock)).toBe(inclusion!.blockNumber);
      expect(verifyProof(leaf, inclusion!.proof, onChainRoot)).toBe(true);
      expect(await registry.getFunction('verifyInclusion')(receiptDigest(row.receipt as unknown as Receipt), inclusion!.proof, BigInt(inclusion!.batchId))).toBe(true);
    }
  });

  it('two batchers racing never put a receipt in two batches nor post a batch twice', async () => {
    const ids = await storeReceipts(40, new Date(Date.now() - 120_000));
    const [a, b] = await Promise.all([batcher(8, 60_000).tick(), batcher(8, 60_000).tick()]);
    const formed = [...a.formed, ...b.formed];
    expect(formed.reduce((sum, batch) => sum + batch.count, 0)).toBe(40);
    const members = await db.selectFrom('receipt_settlements').select(['receipt_id', 'batch_id']).where('receipt_id', 'in', ids).execute();
    expect(new Set(members.map((row) => row.receipt_id)).size).toBe(40);
    const batches = [...new Set(members.map((row) => row.batch_id))];
    const events = await new Contract(registryAddress, compileProjectContract('ReceiptRegistry').abi as never, provider).queryFilter('BatchPosted');
    for (const batchId of batches) expect(events.filter((event) => (event as unknown as { args: [bigint] }).args[0] === BigInt(batchId))).toHaveLength(1);
  });
});

describe('receipts settled by a running worker', () => {
  let stack: Stack;
  let socket: ChatClient;
  let registryAddress: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // A registry of its own: the batch ids the tests above posted by hand are not in it.
    registryAddress = (await deployContract(compileProjectContract('ReceiptRegistry'), owner, [poster.address])).address;
    stack = await startStack(['settler'], {
      SETTLEMENT_RPC_URL: chain.rpcUrl,
      SETTLEMENT_REGISTRY_ADDRESS: registryAddress,
      SETTLEMENT_POSTER_KEY: poster.privateKey,
      SETTLEMENT_BATCH_MAX: '64',
      SETTLEMENT_BATCH_MAX_AGE_MS: '300',
      SETTLEMENT_POLL_MS: '200',
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    socket?.close();
    await stack?.stop();
  });

  it("posts a signed turn's receipt, and GET /receipts/:id/inclusion proves it against the contract", async () => {
    const alice = await signUp(stack.url, 'Alice');
    const call = api(stack.url, alice.apiKey);
    socket = await connectChat(stack.url, alice.apiKey);
    const personaId = (await call('POST', '/personas', { name: 'Vera', greeting: 'Hello.' })).body.id;
    const conversationId = (await call('POST', '/conversations', { personaId })).body.id;
    const { done } = await sendTurn(socket, { conversationId, text: 'settle this', verification: 'signed' });
    const receiptId = done!.verification!.receiptId;

    const stranger = await signUp(stack.url, 'Mallory');
    expect(await api(stack.url, stranger.apiKey)('GET', `/receipts/${receiptId}/inclusion`)).toMatchObject({ status: 404 });
    const inclusion = await waitFor(async () => {
      const response = await call('GET', `/receipts/${receiptId}/inclusion`);
      return response.status === 200 && response.body.txHash ? response.body : null;
    }, 'the worker to post a batch holding the receipt', 30_000);

    expect(inclusion.registry.toLowerCase()).toBe(registryAddress.toLowerCase());
    const digest = receiptDigest(done!.verification!.receipt as unknown as Receipt);
    expect(inclusion.leaf).toBe(leafOf(digest));
    const contract = new Contract(registryAddress, compileProjectContract('ReceiptRegistry').abi as never, provider);
    const [onChainRoot] = (await contract.getFunction('batchOf')(BigInt(inclusion.batchId))) as [string];
    expect(onChainRoot).toBe(inclusion.root);
    expect(verifyProof(inclusion.leaf, inclusion.proof, onChainRoot)).toBe(true);
    expect(await contract.getFunction('verifyInclusion')(digest, inclusion.proof, BigInt(inclusion.batchId))).toBe(true);

    // The verify CLI: offline from the inclusion alone, then against the contract; a proof for another receipt fails.
    const run = promisify(execFile);
    const cli = resolve(__dirname, '../dist/apps/verify/main.js');
    const scratch = await mkdtemp(join(tmpdir(), 'doppel-inclusion-'));
    const receiptFile = join(scratch, 'verification.json');
    const inclusionFile = join(scratch, 'inclusion.json');
    await writeFile(receiptFile, JSON.stringify(done!.verification));
    await writeFile(inclusionFile, JSON.stringify(inclusion));
    const node = (done!.verification!.receipt as { message: { node: string } }).message.node;
    const offline = await run(process.execPath, [cli, receiptFile, '--nodes', node, '--inclusion', inclusionFile]);
    expect(offline.stdout).toContain(`settled: ✓ in batch ${inclusion.batchId}`);
    expect(offline.stdout).toContain('offline');
    const onChain = await run(process.execPath, [cli, receiptFile, '--nodes', node, '--inclusion', inclusionFile, '--rpc', chain.rpcUrl]);
    expect(onChain.stdout).toContain('and on the chain');
    expect(onChain.stdout).toMatch(/VALID$/m);
    const wrongLeaf = join(scratch, 'wrong.json');
    await writeFile(wrongLeaf, JSON.stringify({ ...inclusion, leaf: leafOf(hexlify(randomBytes(32))) }));
    const refused = await run(process.execPath, [cli, receiptFile, '--nodes', node, '--inclusion', wrongLeaf, '--rpc', chain.rpcUrl]).catch((error: { code: number; stdout: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stdout: string }).stdout).toMatch(/settled: ✗ the batch's leaf/);

    // The web app: Verify on the stored reply recomputes the leaf and walks the proof in the page.
    requireChromium();
    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API key').fill(alice.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${stack.url}/#/chat/${conversationId}`);
    const reply = page.locator('.message.assistant').last();
    await reply.getByRole('button', { name: 'Receipt', exact: true }).click();
    const verify = async () => {
      const button = reply.getByRole('button', { name: /Verify this reply/ });
      await button.click();
      // The button is disabled from the click until both the receipt and its settlement are checked.
      await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
      return (await reply.locator('.settlement').textContent()) ?? '';
    };
    expect(await verify()).toBe(`settled ✓ batch ${inclusion.batchId} (tx ${inclusion.txHash.slice(0, 6)}…${inclusion.txHash.slice(-4)}, block ${inclusion.blockNumber})`);
    expect(await reply.locator('.verify-result').textContent()).toMatch(/^✓ verified in your browser/);
    expect(await reply.locator('.settlement').getAttribute('title')).toContain('cannot read the chain');

    // The gateway's answer tampered on the way: another root, an extra proof element, another leaf; all refused.
    const tamperings: [string, (body: Record<string, unknown>) => Record<string, unknown>, RegExp][] = [
      ['root', (body) => ({ ...body, root: leafOf(hexlify(randomBytes(32))) }), /does not hash this receipt's leaf up to root/],
      ['proof', (body) => ({ ...body, proof: [...(body.proof as string[]), hexlify(randomBytes(32))] }), /does not hash this receipt's leaf up to root/],
      ['leaf', (body) => ({ ...body, leaf: leafOf(hexlify(randomBytes(32))) }), /the batch's leaf 0x[0-9a-f]{64} is not this receipt's/],
    ];
    for (const [what, tamper, reason] of tamperings) {
      await page.unroute('**/receipts/*/inclusion');
      await page.route('**/receipts/*/inclusion', async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, json: tamper((await response.json()) as Record<string, unknown>) });
      });
      const shown = await verify();
      expect(shown, what).toMatch(/^✗ inclusion proof does not match: /);
      expect(shown, what).toMatch(reason);
    }
    // No batch yet: said so, not called a failure.
    await page.unroute('**/receipts/*/inclusion');
    await page.route('**/receipts/*/inclusion', (route) => route.fulfill({ status: 404, json: { code: 'RECEIPT_NOT_FOUND', message: 'in no batch yet' } }));
    expect(await verify()).toBe('not settled yet');
  }, 90_000);
});
