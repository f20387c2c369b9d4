// In a real browser (Debian's Chromium via playwright-core) with a test EIP-1193 wallet that signs with a local key
// against a real local chain: a consumer is refused a gated twin, buys a share on its page, then chats with it; an
// operator sees the economics panel and the dashboard's charts. Screenshots go to test-results/screenshots/.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Contract, Wallet, getBytes, id, type JsonRpcProvider } from 'ethers';
import type { Kysely } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import { compileProjectContract, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';
import type { Database } from '@doppel/db';
import { launchChromium, requireChromium } from './support/chromium';
import { api, signUp } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, type Stack } from './support/processes';

const SCREENSHOTS = resolve(__dirname, '../test-results/screenshots');
const twinId = id('doppel:twin:browser-e2e');

let chain: LocalChain;
let provider: JsonRpcProvider;
let shares: Contract;
let stack: Stack;
let db: Kysely<Database>;
let browser: Browser;
let consumerKey: string;
let operatorKey: string;
let personaId: string;
let buyer: Wallet;
const walletCalls: string[] = [];

/** The test's wallet: what a browser extension does, with a local key, answering the page's EIP-1193 requests. */
async function testWallet(method: string, params: unknown[]): Promise<unknown> {
  walletCalls.push(method);
  switch (method) {
    case 'eth_requestAccounts':
    case 'eth_accounts':
      return [buyer.address];
    case 'personal_sign':
      return buyer.signMessage(getBytes(params[0] as string));
    case 'eth_sendTransaction': {
      const tx = params[0] as { to: string; data: string; value?: string };
      return (await buyer.sendTransaction({ to: tx.to, data: tx.data, value: BigInt(tx.value ?? '0x0') })).hash;
    }
    default:
      return provider.send(method, params);
  }
}

async function signedInPage(apiKey: string, hash: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.exposeFunction('__doppelTestWallet', testWallet);
  await page.addInitScript(`window.ethereum = { request: ({ method, params }) => window.__doppelTestWallet(method, params ?? []) };`);
  await page.goto(`${stack.url}/${hash}`);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

beforeAll(async () => {
  requireChromium();
  chain = await startLocalChain();
  provider = chain.provider();
  const [owner, creatorWallet, buyerWallet] = chain.accounts.map((account) => new Wallet(account.privateKey, provider));
  buyer = buyerWallet!;
  shares = (await deployContract(compileProjectContract('TwinShares'), owner!, [16_000n, 500, 500, owner!.address])).contract as Contract;
  await (await (shares.connect(creatorWallet!) as Contract).getFunction('createTwin')(twinId)).wait();
  // A first holder, so the page shows a price above the curve's start.
  const firstCost = (await shares.getFunction('buyPriceAfterFees')(twinId, 3n)) as bigint;
  await (await (shares.connect(owner!) as Contract).getFunction('buyShares')(twinId, 3n, { value: firstCost })).wait();
  stack = await startStack(['shares-web-node'], { CHAIN_RPC_URL: chain.rpcUrl, CHAIN_ID: String(chain.chainId), TWIN_SHARES_ADDRESS: await shares.getAddress(), EARNINGS_METER_INTERVAL_MS: '200' });
  db = testDatabase();
  operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Otto the operator', ['consumer', 'creator', 'operator'])).apiKey;
  const creator = await signUp(stack.url, 'Cass the creator');
  consumerKey = (await signUp(stack.url, 'Hal the holder')).apiKey;
  const persona = await api(stack.url, creator.apiKey)('POST', '/personas', {
    name: 'Vesper',
    description: 'A lighthouse keeper who answers only her shareholders.',
    greeting: 'The lamp is lit. What brings you up the stairs?',
    visibility: 'public',
    sharesGate: { twinId, minShares: 1 },
  });
  expect(persona.status).toBe(201);
  personaId = persona.body.id;
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await db?.destroy();
  await chain?.stop();
});

describe('twin shares in the browser', () => {
  it('a consumer is refused the gated twin, buys a share through the injected wallet, then chats with it', async () => {
    const page = await signedInPage(consumerKey, '#/');
    const card = page.locator(`[data-persona-id="${personaId}"]`);
    await card.getByRole('button', { name: 'Chat with Vesper' }).click();
    await expect.poll(() => page.locator('.status').first().textContent()).toMatch(/Vesper is for holders of at least 1 share.*buy 1 more/);

    await card.getByTestId('shares-link').click();
    await page.waitForURL(/#\/persona\//);
    const expectedCost = (await shares.getFunction('buyPriceAfterFees')(twinId, 1n)) as bigint;
    await expect.poll(() => page.getByTestId('share-supply').textContent()).toBe('3');
    expect(await page.getByTestId('share-holding').textContent()).toBe('no wallet linked');
    expect(await page.getByTestId('share-price').textContent()).toContain('ETH');

    await page.getByTestId('buy-share').click();
    await expect.poll(() => page.getByTestId('share-holding').textContent(), { timeout: 30_000 }).toBe('1');
    expect(await page.getByTestId('share-supply').textContent()).toBe('4');
    // The wallet linked by signing (never by pasting a key), then paid exactly the quoted price.
    expect(walletCalls).toEqual(expect.arrayContaining(['eth_requestAccounts', 'personal_sign', 'eth_sendTransaction']));
    expect(await shares.getFunction('sharesOf')(twinId, buyer.address)).toBe(1n);
    expect((await api(stack.url, consumerKey)('GET', '/wallets/me')).body).toEqual({ address: buyer.address });
    const trade = (await shares.queryFilter(shares.filters.Trade!(twinId, buyer.address))).at(-1) as unknown as { args: { price: bigint; protocolFee: bigint; creatorFee: bigint } };
    expect(trade.args.price + trade.args.protocolFee + trade.args.creatorFee).toBe(expectedCost);
    await page.screenshot({ path: `${SCREENSHOTS}/persona-shares.png`, fullPage: true });

    await page.getByTestId('start-chat').click();
    await page.waitForURL(/#\/chat\//);
    await page.getByLabel('Message', { exact: true }).fill('Is the lamp still turning?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await expect.poll(async () => (await page.locator('.message.assistant').count()), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const conversationId = decodeURIComponent(new URL(page.url()).hash.replace('#/chat/', ''));
    await expect
      .poll(async () => (await api(stack.url, consumerKey)('GET', `/conversations/${conversationId}/messages`)).body.items.filter((message: { role: string }) => message.role === 'assistant').length, { timeout: 30_000 })
      .toBe(2);
    await page.screenshot({ path: `${SCREENSHOTS}/gated-chat.png`, fullPage: true });
  }, 120_000);

  it('an operator sees earnings per node and day, a return estimate and time-series charts', async () => {
    const page = await signedInPage(operatorKey, '#/ops');
    await expect.poll(() => page.getByTestId('earnings-table').locator('tbody tr').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId('earnings-table').textContent()).toMatch(/\d (gwei|ETH)/);
    for (const chart of ['chart-throughput', 'chart-ttft', 'chart-queue', 'chart-earnings']) expect(await page.getByTestId(chart).locator('canvas').count(), chart).toBe(1);
    await page.getByTestId('input-hardwareCost').fill('2000');
    await expect.poll(() => page.getByTestId('scenario-current-net').textContent()).toMatch(/\d/);
    expect(await page.getByTestId('scenario-half').textContent()).toContain('demand halves');
    await page.screenshot({ path: `${SCREENSHOTS}/ops-economics.png`, fullPage: true });
  }, 60_000);
});
