// The web app in a real browser (Debian's Chromium driven by playwright-core): a consumer chats and verifies a
// receipt, a creator imports a card PNG, an operator watches the dashboard move. Screenshots go to
// test-results/screenshots/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Kysely } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import type { Database } from '@doppel/db';
import { exportPersona } from '@doppel/persona-cards';
import { personaDefinitionSchema } from '@doppel/personas';
import { launchChromium, requireChromium } from './support/chromium';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { MAX_MESSAGE_CHARS, startStack, type Stack } from './support/processes';
import { partialRenders, recordReplyRenders, visibleText } from './support/streamed-reply';

const CORPUS = resolve(__dirname, '../../shared/fixtures/real-personas');
/** A picture for the demo persona, drawn here (the corpus may be absent): sea, sun and a boat. */
/** Pictures for the gallery's demo personas: a landscape each, drawn here so the committed screenshots carry none of the corpus's art. */
const landscape = (sky: string, sun: string, ground: string, hill: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="480">
  <rect width="320" height="480" fill="${sky}"/><circle cx="230" cy="100" r="38" fill="${sun}"/>
  <path d="M0 210 Q90 140 180 200 T320 180 V480 H0Z" fill="${hill}"/><path d="M0 260 Q120 220 200 250 T320 240 V480 H0Z" fill="${ground}"/></svg>`;
const DEMO_PERSONAS = [
  { name: 'Odile', picture: landscape('#f3c98b', '#fff3c4', '#6d4c2f', '#b5793b'), tags: ['desert', 'cartographer', 'travel'], description: 'A cartographer who has walked every dune sea on the old trade routes and mapped the wells that move with the sand. She speaks slowly, measures twice, and keeps a notebook of the names caravans give to places that have no name on any map. Ask her about the salt roads, the glass storms, or the city that appears only in years of drought.' },
  { name: 'Tamsin', picture: landscape('#1d2b53', '#e8e8f0', '#0f1a33', '#2e3f73'), tags: ['astronomy', 'night', 'teacher'], description: 'An astronomer at a mountain observatory who teaches children to find the planets without a telescope. Patient, funny, fond of terrible puns about black holes.' },
  { name: 'Bram', picture: landscape('#9fd3a8', '#fdf6b2', '#2f5d34', '#4f8a52'), tags: ['forest', 'woodworker'], description: 'A woodworker in a forest village who builds boats he will never sail.' },
];
const SEA_PICTURE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="480">
  <rect width="320" height="480" fill="#7cc3e8"/><circle cx="230" cy="120" r="60" fill="#f6c945"/>
  <rect y="300" width="320" height="180" fill="#1f5f8b"/><path d="M0 300 Q40 285 80 300 T160 300 T240 300 T320 300 V320 H0Z" fill="#2f7fb5"/>
  <path d="M110 290 L210 290 L190 320 L130 320 Z" fill="#6b3e26"/><path d="M160 180 L160 288 L215 288 Z" fill="#fafafa"/></svg>`;
const SCREENSHOTS = resolve(__dirname, '../test-results/screenshots');

describe('the web app in a browser', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let browser: Browser;
  let operatorKey: string;
  let creator: { id: string; apiKey: string };
  let consumer: { id: string; apiKey: string };
  let personaId: string;
  let seaPicture: Buffer;

  beforeAll(async () => {
    requireChromium();
    // Slow enough tokens that a reply takes several animation frames to stream in, and that the drop test sees it
    // streaming: 12–47 tokens at 30 a second stream for 0.4–1.6 s (at 80 the shortest was 0.14 s, which a busy
    // machine's browser sometimes missed).
    stack = await startStack(['web-node-a'], { SYNTHETIC_TOKENS_PER_SECOND: '30', SYNTHETIC_TTFT_MS: '50' });
    db = testDatabase();
    operatorKey = (await new AccountsService(new AccountsRepository(db)).create('Olga the operator', ['consumer', 'creator', 'operator'])).apiKey;
    creator = await signUp(stack.url, 'Cora the creator');
    consumer = await signUp(stack.url, 'Cole the consumer');
    const persona = await api(stack.url, creator.apiKey)('POST', '/personas', {
      name: 'Marguerite',
      description: 'A ferry captain who knows every tide table by heart.',
      personality: 'Brisk, kind, nautical metaphors.',
      greeting: 'Welcome aboard. **Mind the gap** between the quay and the deck.',
      tags: ['sea', 'storyteller'],
      visibility: 'public',
      generation: { maxTokens: 48, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [] },
    });
    expect(persona.status).toBe(201);
    personaId = persona.body.id;
    seaPicture = await sharp(Buffer.from(SEA_PICTURE_SVG)).png().toBuffer();
    const avatar = await fetch(`${stack.url}/avatars`, { method: 'POST', headers: { authorization: `Bearer ${creator.apiKey}`, 'content-type': 'image/png' }, body: seaPicture });
    expect(avatar.status).toBe(201);
    const { hash } = (await avatar.json()) as { hash: string };
    expect((await api(stack.url, creator.apiKey)('PATCH', `/personas/${personaId}`, { avatar: hash })).status).toBe(200);
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await db?.destroy();
  });

  async function signedInPage(apiKey: string, hash = '#/'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${stack.url}/${hash}`);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  it('serves the app at / without shadowing the API or the docs', async () => {
    const index = await fetch(`${stack.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<main id="main"');
    expect((await fetch(`${stack.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${stack.url}/docs/openapi.json`)).status).toBe(200);
    expect((await fetch(`${stack.url}/personas`)).status).toBe(401);
  });

  it('a consumer finds a persona, watches a reply stream in, rates it and verifies its receipt in the page', async () => {
    const page = await signedInPage(consumer.apiKey);
    await page.getByLabel('Search personas').fill('sea');
    const card = page.locator(`[data-persona-id="${personaId}"]`);
    await expect.poll(() => card.isVisible()).toBe(true);
    await page.getByLabel('Search personas').fill('no persona is called this');
    await expect.poll(() => card.isVisible()).toBe(false);
    await page.getByLabel('Search personas').fill('margu');
    await expect.poll(() => card.isVisible()).toBe(true);

    // Keyboard only: from the search box, Tab reaches the persona's Chat button and Enter opens the chat.
    await page.getByLabel('Search personas').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | null>('document.activeElement.getAttribute("aria-label")')).toBe('Chat with Marguerite');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/chat\//);
    const conversationId = decodeURIComponent(new URL(page.url()).hash.replace('#/chat/', ''));
    // The greeting came from history and its Markdown rendered as markup, not as asterisks.
    await expect.poll(() => page.locator('.message.assistant strong').first().textContent()).toBe('Mind the gap');
    await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
    // The chat header shows the persona's picture, served by its hash.
    await expect.poll(() => page.locator('h1 .chat-avatar').getAttribute('src')).toMatch(/^\/avatars\/[0-9a-f]{64}\/thumbnail$/);

    // Record every rendering of the streaming reply, to prove text arrived in pieces before the end.
    await recordReplyRenders(page);
    await page.getByRole('group', { name: 'Verification' }).getByLabel('signed', { exact: true }).check();
    // The limit is the server's MAX_MESSAGE_CHARS (GET /limits), not a number the app carries.
    await expect.poll(() => page.getByLabel('Message', { exact: true }).getAttribute('maxlength')).toBe(String(MAX_MESSAGE_CHARS));
    await page.getByLabel('Message', { exact: true }).fill('What do the <b>tides</b> do tonight?');
    await page.getByLabel('Message', { exact: true }).press('Enter');

    const reply = page.locator('.message.assistant').last();
    await reply.locator('.receipt').waitFor({ timeout: 20_000 });
    const stored = await api(stack.url, consumer.apiKey)('GET', `/conversations/${conversationId}/messages`);
    const finalText = (stored.body.items as { role: string; content: string }[]).at(-1)!.content;
    expect(visibleText(await reply.locator('.body').textContent())).toBe(visibleText(finalText));
    expect((await partialRenders(page, finalText)).length).toBeGreaterThan(0);
    // The user's own markup was shown as text, never parsed.
    expect(await page.locator('.message.user').last().textContent()).toContain('<b>tides</b>');
    expect(await page.locator('.message.user b').count()).toBe(0);

    await expect.poll(() => reply.locator('.badge').textContent()).toBe('signed');
    await reply.getByRole('button', { name: /Verify this reply/ }).click();
    await expect.poll(() => reply.locator('.verify-result').textContent(), { timeout: 10_000 }).toMatch(/^✓ verified in your browser: signed by 0x/);
    // Each level of the turn has its own badge, marked by the check.
    expect(await reply.locator('.badge[data-level="signed"]').textContent()).toBe('signed ✓');

    await reply.getByRole('button', { name: 'Rate 4 of 5' }).click();
    await expect.poll(() => reply.getByRole('status').filter({ hasText: 'Rated' }).textContent()).toBe('Rated 4 of 5');
    const ratings = await api(stack.url, creator.apiKey)('GET', `/personas/${personaId}/ratings`);
    expect(ratings.body).toMatchObject({ count: 1, distribution: { '4': 1 } });

    // The memory panel lists what the turn stored, and forgetting one removes it from the server too.
    const memories = page.locator('.memory-panel').getByRole('button', { name: /^Forget:/ });
    await expect.poll(() => memories.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/chat.png`, fullPage: true });
    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SCREENSHOTS}/chat-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    const before = (await api(stack.url, consumer.apiKey)('GET', `/personas/${personaId}/memories`)).body.items.length;
    await memories.first().click();
    await expect.poll(async () => (await api(stack.url, consumer.apiKey)('GET', `/personas/${personaId}/memories`)).body.items.length).toBe(before - 1);
    await page.context().close();
  }, 90_000);

  it('a consumer whose connection drops mid-reply gets the whole reply once (turn:resume)', async () => {
    const page = await signedInPage(consumer.apiKey);
    const conversation = await api(stack.url, consumer.apiKey)('POST', '/conversations', { personaId });
    await page.goto(`${stack.url}/#/chat/${conversation.body.id}`);
    await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
    await page.getByLabel('Message', { exact: true }).fill('Tell me about the harbour.');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const reply = page.locator('.message.assistant').last();
    await reply.and(page.locator('.streaming')).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Simulate a network drop' }).click();
    await reply.locator('.rating').waitFor({ timeout: 20_000 });
    const stored = await api(stack.url, consumer.apiKey)('GET', `/conversations/${conversation.body.id}/messages`);
    const finalText = (stored.body.items as { content: string }[]).at(-1)!.content;
    expect(visibleText(await reply.locator('.body').textContent())).toBe(visibleText(finalText));
    await page.context().close();
  }, 60_000);

  it('a consumer regenerates a reply, steps back to the first one, edits their message and pins a memory', async () => {
    const page = await signedInPage(consumer.apiKey);
    const conversation = await api(stack.url, consumer.apiKey)('POST', '/conversations', { personaId });
    const conversationId = conversation.body.id as string;
    await page.goto(`${stack.url}/#/chat/${conversationId}`);
    await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
    await page.getByLabel('Message', { exact: true }).fill('Which way is the wind?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const lastReply = page.locator('.message.assistant').last();
    await lastReply.getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 20_000 });
    const firstText = await lastReply.locator('.body').textContent();

    await lastReply.getByRole('button', { name: 'Regenerate' }).click();
    await lastReply.getByRole('group', { name: 'Alternative replies' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.message.assistant').count()).toBe(2);
    await lastReply.getByRole('button', { name: 'Previous alternative reply' }).click();
    await expect.poll(() => lastReply.locator('.alternatives').textContent()).toContain('reply 1 of 2');
    expect(await lastReply.locator('.body').textContent()).toBe(firstText);
    const chosen = (await api(stack.url, consumer.apiKey)('GET', `/conversations/${conversationId}/messages`)).body.items.at(-1);
    expect(visibleText(chosen.content)).toBe(visibleText(firstText));

    await page.locator('.message.user').last().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit your message').fill('Which way is the wind tomorrow?');
    await page.getByRole('button', { name: 'Save and answer again' }).click();
    await lastReply.getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.message.user').last().textContent()).toContain('Which way is the wind tomorrow?');
    const afterEdit = (await api(stack.url, consumer.apiKey)('GET', `/conversations/${conversationId}/messages`)).body.items as { role: string; content: string }[];
    expect(afterEdit.at(-2)).toMatchObject({ role: 'user', content: 'Which way is the wind tomorrow?' });
    expect(visibleText(await lastReply.locator('.body').textContent())).toBe(visibleText(afterEdit.at(-1)!.content));

    // The reply's memories are written just after it; the panel looks again until none are pending.
    await expect
      .poll(async () => (await api(stack.url, consumer.apiKey)('GET', `/personas/${personaId}/memories?limit=50`)).body, { timeout: 10_000 })
      .toMatchObject({ pendingWrites: 0 });
    const memoryCount = (await api(stack.url, consumer.apiKey)('GET', `/personas/${personaId}/memories?limit=50`)).body.items.length;
    await expect.poll(() => page.locator('.memory-panel').getByRole('button', { name: /^Pin:/ }).count(), { timeout: 10_000 }).toBe(memoryCount);
    const pin = page.locator('.memory-panel').getByRole('button', { name: /^Pin:/ }).first();
    await pin.click();
    await expect.poll(() => pin.getAttribute('aria-pressed')).toBe('true');
    const pinned = await api(stack.url, consumer.apiKey)('GET', `/personas/${personaId}/memories?pinned=true`);
    expect(pinned.body.items.length).toBe(1);
    await page.context().close();
  }, 90_000);

  it('a creator drags a card PNG into the studio, reads the import report and finds the persona in the gallery', async () => {
    const definition = personaDefinitionSchema.parse({
      name: 'Captain Rook',
      description: 'Keeps a lighthouse log in verse.',
      personality: 'Terse.',
      greeting: 'State your business.',
      tags: ['imported', 'verse'],
      defaultModel: 'synthetic',
      lorebook: { entries: [{ keys: ['lamp'], content: 'The lamp burns whale oil.' }] },
    });
    const card = exportPersona(definition, 'ccv3-png', seaPicture);
    const page = await signedInPage(creator.apiKey, '#/studio');
    await page.getByRole('heading', { name: 'Import' }).waitFor();
    // Drag and drop as the browser delivers it: a DataTransfer holding the file, dropped on the zone.
    const base64 = Buffer.from(card.content).toString('base64');
    const drop = async (fileBase64: string, fileName: string, type: string) => {
      const dataTransfer = await page.evaluateHandle(`(() => {
        const bytes = Uint8Array.from(atob('${fileBase64}'), (char) => char.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], '${fileName}', { type: '${type}' }));
        return transfer;
      })()`);
      const zone = page.locator('[data-testid="dropzone"]');
      await zone.dispatchEvent('dragover', { dataTransfer });
      await zone.dispatchEvent('drop', { dataTransfer });
    };
    await drop(base64, 'captain-rook.png', 'image/png');
    const report = page.locator('[data-testid="import-report"]');
    await expect.poll(() => page.locator('section:has(#import-heading) [role="status"]').textContent(), { timeout: 10_000 }).toBe('Imported Captain Rook.');
    expect(await report.textContent()).toContain('Imported “Captain Rook” from character-card-v3 (png)');

    await report.getByRole('link', { name: 'Edit it' }).click();
    // The card's picture came along as the avatar.
    await expect.poll(() => page.locator('.studio-avatar').getAttribute('src')).toMatch(/^\/avatars\/[0-9a-f]{64}\/thumbnail$/);
    const preview = page.locator('[data-testid="prompt-preview"]');
    await expect.poll(() => preview.textContent()).toContain('About you: Keeps a lighthouse log in verse.');
    // The preview follows the form as the creator types.
    await page.getByLabel('Personality').fill('Terse, and fond of semaphore.');
    await expect.poll(() => preview.textContent()).toContain('Personality and style: Terse, and fond of semaphore.');
    // A sample message that names a lorebook key places that entry, as a real turn would.
    expect(await preview.textContent()).not.toContain('The lamp burns whale oil.');
    await page.getByLabel('Sample message').fill('Is the lamp lit?');
    await expect.poll(() => preview.textContent()).toContain('The lamp burns whale oil.');
    expect(await page.locator('[data-testid="lore-entry"]').count()).toBe(1);
    // A knowledge document goes to a worker for indexing; the panel follows it to ready.
    await page.getByLabel('Title', { exact: true }).fill('Tide tables');
    await page.getByLabel('Markdown', { exact: true }).fill('# Tides\n\nHigh water at six, low water at noon.');
    await page.getByRole('button', { name: 'Add document' }).click();
    await expect.poll(() => page.locator('[data-testid="knowledge-document"]').textContent(), { timeout: 20_000 }).toMatch(/Tide tables.*ready, \d+ chunks/);
    // A standalone World Info file, dropped like a card, then attached to this persona.
    const worldInfo = { entries: { '0': { uid: 0, key: ['harbour'], comment: 'The harbour', content: 'The harbour freezes in January.', order: 100, position: 0, disable: false } } };
    await drop(Buffer.from(JSON.stringify(worldInfo)).toString('base64'), 'Harbour.json', 'application/json');
    await expect.poll(() => page.locator('section:has(#import-heading) [role="status"]').textContent(), { timeout: 10_000 }).toBe('Imported the lorebook Harbour.');
    await page.getByRole('button', { name: 'Attach to Captain Rook' }).click();
    await expect.poll(() => page.getByText('Attached lorebooks').textContent(), { timeout: 10_000 }).toContain('Harbour (1 entries)');
    // Attaching made a new version; the edit not saved yet is still in the form.
    expect(await page.getByLabel('Personality').inputValue()).toBe('Terse, and fond of semaphore.');
    await page.getByLabel('Sample message').fill('Is the harbour open?');
    await expect.poll(() => preview.textContent()).toContain('The harbour freezes in January.');
    // Real files people have, dropped the same way, when the corpus is here: a SillyTavern card, a CHARX, an ElizaOS
    // list of three, and the TypeScript source an ElizaOS user might try first.
    if (existsSync(CORPUS)) {
      const expectations: [string, string, string | RegExp][] = [
        ['st-default_Seraphina.png', 'image/png', 'Imported Seraphina.'],
        ['tavernkit-test_character_with_lorebook.charx', 'application/zip', 'Imported Lorebook Test Character.'],
        ['eliza-v1-multi-chars.json', 'application/json', 'Imported Ada, Max, Shaw.'],
        ['eliza-v1-default-eliza.ts', 'text/plain', /^Import failed: .*Export the character as JSON/],
      ];
      for (const [file, type, status] of expectations) {
        await drop(readFileSync(join(CORPUS, file)).toString('base64'), file, type);
        await expect.poll(() => page.locator('section:has(#import-heading) [role="status"]').textContent(), { timeout: 15_000 }).toMatch(status);
      }
    }
    await page.screenshot({ path: `${SCREENSHOTS}/studio.png`, fullPage: true });

    await page.getByRole('link', { name: 'Personas' }).click();
    await page.getByLabel('Search personas').fill('verse');
    await expect.poll(() => page.getByRole('heading', { name: 'Captain Rook' }).isVisible()).toBe(true);
    await page.context().close();
  }, 60_000);

  it('a gallery of real personas stays browsable: pictures, clamped descriptions, the full text one click away', async () => {
    for (const demo of DEMO_PERSONAS) {
      const picture = await sharp(Buffer.from(demo.picture)).png().toBuffer();
      const uploaded = await fetch(`${stack.url}/avatars`, { method: 'POST', headers: { authorization: `Bearer ${creator.apiKey}`, 'content-type': 'image/png' }, body: picture });
      const { hash } = (await uploaded.json()) as { hash: string };
      const created = await api(stack.url, creator.apiKey)('POST', '/personas', { name: demo.name, description: demo.description, tags: demo.tags, avatar: hash, visibility: 'public' });
      expect(created.status).toBe(201);
    }
    const demoPage = await signedInPage(consumer.apiKey);
    await expect.poll(() => demoPage.evaluate<boolean>(`[...document.querySelectorAll('img.card-avatar')].length >= 4 && [...document.querySelectorAll('img.card-avatar')].every((img) => img.complete && img.naturalWidth > 0)`), { timeout: 20_000 }).toBe(true);
    await demoPage.screenshot({ path: `${SCREENSHOTS}/gallery.png`, fullPage: true });
    // Marguerite's chat, her picture in the header.
    await demoPage.getByRole('button', { name: 'Chat with Marguerite' }).click();
    await demoPage.waitForURL(/#\/chat\//);
    await expect.poll(() => demoPage.evaluate<boolean>(`(() => { const img = document.querySelector('h1 img.chat-avatar'); return !!img && img.complete && img.naturalWidth > 0; })()`), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => demoPage.locator('.connection').textContent()).toBe('online');
    await demoPage.getByLabel('Message', { exact: true }).fill('Which ferry goes to the islands?');
    await demoPage.getByLabel('Message', { exact: true }).press('Enter');
    await demoPage.locator('.message.assistant').last().getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 20_000 });
    await demoPage.screenshot({ path: `${SCREENSHOTS}/chat-avatar.png`, fullPage: true });
    await demoPage.context().close();

    // The creator's public imports of every character file of the corpus, when the corpus is here.
    const corpusFiles = existsSync(CORPUS) ? readdirSync(CORPUS).filter((file) => /\.(json|png|charx)$/.test(file)) : [];
    let imported = 0;
    for (const file of corpusFiles) {
      const response = await fetch(`${stack.url}/personas/import?visibility=public&fileName=${encodeURIComponent(file)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creator.apiKey}`, 'content-type': 'application/octet-stream' },
        body: readFileSync(join(CORPUS, file)),
      });
      const body = (await response.json()) as { kind: string; personas?: unknown[] };
      if (response.status === 201 && body.kind !== 'lorebook') imported += body.personas?.length ?? 1;
    }
    if (corpusFiles.length > 0) expect(imported).toBeGreaterThanOrEqual(20);
    const page = await signedInPage(consumer.apiKey);
    const cards = page.locator('.grid > .persona');
    await expect.poll(() => cards.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(imported + 1 + DEMO_PERSONAS.length);
    // Every picture loaded (decoded, not a broken image), then the page measured. Pictures load lazily, as the
    // page scrolls to them.
    for (let y = 0; y < 20_000; y += 800) await page.evaluate(`window.scrollTo(0, ${y})`);
    await page.evaluate('window.scrollTo(0, 0)');
    await expect
      .poll(() => page.evaluate<boolean>(`[...document.querySelectorAll('img.card-avatar')].every((img) => img.complete && img.naturalWidth > 0)`), { timeout: 20_000 })
      .toBe(true);
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    // Other suites' public personas share the database, so each card is measured rather than the page: a card printing
    // a whole Eliza bio ran to thousands of pixels (20 real personas made a 9,400 px page before cards were clamped).
    const tallest = await page.evaluate<number>(`Math.max(...[...document.querySelectorAll('.grid > .persona')].map((card) => card.getBoundingClientRect().height))`);
    expect(tallest).toBeLessThan(700);
    // A long description shows a few lines, and all of it after one click.
    const long = page.locator('.persona:has(details.more)').first();
    if (imported > 0) {
      const clamped = await page.evaluate<number>(`(() => { const node = document.querySelector('.persona:has(details.more) [data-testid="card-description"]'); return node.scrollHeight - node.clientHeight; })()`);
      expect(clamped).toBeGreaterThan(0);
      await long.getByText('Read all').click();
      await expect.poll(() => long.locator('.full').isVisible()).toBe(true);
      await long.getByText('Read all').click();
    }
    // The corpus's pictures stay out of the committed screenshots: this one is for test-results only.
    await page.screenshot({ path: `${SCREENSHOTS}/gallery-real-personas.png`, fullPage: true });
    console.log(`gallery: ${await cards.count()} personas, page ${height} px tall at 1280 px wide, tallest card ${tallest} px`);

    // A chat with a real card: its picture in the header, its greeting, a reply.
    const seraphina = page.locator('.persona', { has: page.getByRole('heading', { name: 'Seraphina' }) });
    if ((await seraphina.count()) > 0) {
      await seraphina.getByRole('button', { name: 'Chat with Seraphina' }).click();
      await page.waitForURL(/#\/chat\//);
      await expect.poll(() => page.evaluate<boolean>(`(() => { const img = document.querySelector('h1 img.chat-avatar'); return !!img && img.complete && img.naturalWidth > 0; })()`), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
      await page.getByLabel('Message', { exact: true }).fill('Where am I? What is this place?');
      await page.getByLabel('Message', { exact: true }).press('Enter');
      await page.locator('.message.assistant').last().getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 20_000 });
    }
    await page.context().close();
  }, 120_000);

  it('an operator sees the node and a turns/s figure that moves while turns run; others cannot open /ops', async () => {
    const refused = await new Promise<string>((resolveRefusal) => {
      const socket = io(`${stack.url}/ops`, { auth: { token: consumer.apiKey }, transports: ['websocket'], reconnection: false, forceNew: true });
      socket.once('connect', () => resolveRefusal('connected'));
      socket.once('connect_error', (error) => resolveRefusal(error.message));
    });
    expect(refused).toContain('operator role');

    const page = await signedInPage(operatorKey, '#/ops');
    await page.getByRole('cell', { name: 'web-node-a' }).waitFor({ timeout: 10_000 });
    const figure = page.locator('[data-testid="turns-per-second"]');
    const seen = new Set<string>([(await figure.textContent()) ?? '']);

    const chat: ChatClient = await connectChat(stack.url, consumer.apiKey);
    const conversation = await api(stack.url, consumer.apiKey)('POST', '/conversations', { personaId });
    let running = true;
    const load = (async () => {
      while (running) await sendTurn(chat, { conversationId: conversation.body.id, text: 'ahoy' });
    })();
    try {
      await expect
        .poll(async () => {
          seen.add((await figure.textContent()) ?? '');
          return [...seen].filter((value) => Number(value) > 0).length;
        }, { timeout: 20_000, interval: 250 })
        .toBeGreaterThanOrEqual(2);
    } finally {
      running = false;
      await load;
      chat.close();
    }
    expect(await page.getByRole('cell', { name: 'live' }).count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/ops.png`, fullPage: true });
    await page.context().close();
  }, 60_000);
});
