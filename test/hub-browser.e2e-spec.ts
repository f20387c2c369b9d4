// The hub page in a real browser (Debian's Chromium via playwright-core): search as you type with a typo and
// filters, a model page whose card is rendered safely, provenance and serving nodes, and "use this model" pointing
// a persona at a model a node pulled from the hub. Screenshots go to test-results/screenshots/hub*.png.
import { existsSync, openAsBlob } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumInstalled, launchChromium } from './support/chromium';
import { api, signUp } from './support/clients';
import { startStack, startWorker, testEnv, waitFor, type RunningProcess, type Stack } from './support/processes';

const CARDS = resolve(__dirname, '../../shared/fixtures/model-hub/cards');
const NANO = resolve(__dirname, '../models/doppel-nano-chat');
const SCREENSHOTS = resolve(__dirname, '../test-results/screenshots');
const READY = existsSync(CARDS) && chromiumInstalled();
if (!READY) console.warn(`hub browser tests skipped: they need the model-hub fixtures at ${CARDS} and Chromium at ${CHROMIUM}`);

const HOSTILE_CARD = `---\nid: hostile-card\nname: Hostile <b>Card</b>\ntask: text-classification\ntags: [xss]\n---\n\n# Hostile\n\nA card that tries <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=2</script> and [a link](javascript:alert(1)).\n`;

describe.skipIf(!READY)('the hub page in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let scratch: string;
  let publisher: { id: string; apiKey: string };
  let puller: RunningProcess | null = null;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'doppel-hub-web-'));
    stack = await startStack(['hub-web-node'], { HUB_BLOB_DIR: join(scratch, 'blobs') });
    publisher = await signUp(stack.url, 'Hana the publisher');
    const call = api(stack.url, publisher.apiKey);
    for (const file of (await readdir(CARDS)).filter((name) => name.endsWith('.md'))) {
      const published = await call('POST', '/hub/models', { card: await readFile(join(CARDS, file), 'utf8') });
      // Another suite may have published the catalogue to the shared test database already.
      expect([201, 409], file).toContain(published.status);
    }
    expect((await call('POST', '/hub/models', { card: HOSTILE_CARD })).status).toBe(201);

    const form = new FormData();
    form.append('card', `---\nid: web-nano\nname: Web Nano Chat\ntask: chat\nformat: onnx\nparameters: 2400000\nlicense: apache-2.0\nlanguages: [en]\ntags: [chat, tiny]\nverification: [signed, reexec]\nbase_model: charlm-nano-40k@1\nbase_model_relation: fine-tune\n---\n\n# Web Nano Chat\n\nThe project's nano chat model, pulled by a node from this hub.\n`);
    // Other bytes than the nano other suites publish (a trailing newline), so this is a model of its own.
    const nanoCopy = join(scratch, 'nano');
    await cp(NANO, nanoCopy, { recursive: true });
    await appendFile(join(nanoCopy, 'generation_config.json'), '\n');
    const entries = await readdir(nanoCopy, { recursive: true, withFileTypes: true });
    for (const entry of entries.filter((item) => item.isFile())) {
      const path = relative(nanoCopy, join(entry.parentPath, entry.name));
      form.append('file', await openAsBlob(join(nanoCopy, path)), path);
    }
    const nano = await fetch(`${stack.url}/hub/models`, { method: 'POST', body: form, headers: { authorization: `Bearer ${publisher.apiKey}` } });
    expect([201, 409]).toContain(nano.status);
    puller = await startWorker('hub-web-puller', testEnv({ HUB_URL: stack.url, HUB_MODELS: 'web-nano@1', HUB_CACHE_DIR: join(scratch, 'cache'), CHAT_MODELS: 'synthetic' }));
    await waitFor(async () => ((await call('GET', '/hub/models/web-nano')).body.servingNodes ?? []).length > 0, 'hub-web-puller to serve web-nano');

    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await puller?.stop();
    await stack?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  async function signedInPage(hash: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${stack.url}/${hash}`);
    await page.getByLabel('API key').fill(publisher.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  it('searches as you type, reads a typo, marks the matched words, and applies filters exactly', async () => {
    const page = await signedInPage('#/hub');
    await page.getByRole('link', { name: 'Models' }).waitFor();
    await page.getByLabel('Search models').pressSequentially('bitcoin volatilty next day', { delay: 20 });
    await page.getByText('“volatilty” read as “volatility”').waitFor();
    const first = page.locator('.hub-hit').first();
    expect(await first.getAttribute('data-model')).toMatch(/^btc-vol-1d/);
    expect((await first.locator('mark').allTextContents()).map((text) => text.toLowerCase())).toEqual(expect.arrayContaining(['volatility']));
    await page.screenshot({ path: `${SCREENSHOTS}/hub.png`, fullPage: false });

    await page.getByLabel('Search models').fill('');
    await page.getByLabel('Task').selectOption('chat');
    await page.getByText(/newest first/).waitFor();
    const tasks = await page.locator('.hub-hit p.small.muted').allTextContents();
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((text) => text.startsWith('chat'))).toBe(true);
  });

  it('shows a model with its provenance and serving node, and uses it for a persona', async () => {
    const personaId = (await api(stack.url, publisher.apiKey)('POST', '/personas', { name: 'Hub user' })).body.id;
    const page = await signedInPage('#/hub/web-nano');
    await page.getByRole('heading', { level: 1, name: /Web Nano Chat/ }).waitFor();
    await page.getByText('fine-tune from').waitFor();
    await page.getByRole('cell', { name: 'hub-web-puller' }).waitFor();
    await page.getByRole('heading', { name: 'Model card' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/hub-model.png`, fullPage: true });
    await page.getByLabel('Persona').selectOption(personaId);
    await page.getByRole('button', { name: 'Use this model' }).click();
    await page.waitForURL(new RegExp(`#/studio/${personaId}`));
    await waitFor(async () => (await api(stack.url, publisher.apiKey)('GET', `/personas/${personaId}`)).body.definition.defaultModel === 'web-nano', 'the persona to use web-nano');
  });

  it('renders a hostile card as text', async () => {
    const page = await signedInPage('#/hub/hostile-card');
    await page.getByRole('heading', { name: 'Model card' }).waitFor();
    const body = page.locator('.card-body');
    expect(await body.locator('img, script').count()).toBe(0);
    expect(await body.locator('a').count()).toBe(0);
    expect(await body.textContent()).toContain('<img src=x onerror=');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Hostile <b>Card</b>');
  });
});
