// Private mode in a real browser (Debian's Chromium driven by playwright-core): gateway on 127.0.0.4, relay on
// 127.0.0.3, which the browser reaches through a TCP tap on 127.0.0.1 (the page's CSP lets it connect to https: and
// loopback relays). The web app seals a chat turn with OHTTP and sends it through the relay, the reply streams into
// the chat pane, and what each side saw is checked from its own traffic (taps on both sides of the relay) and the
// gateway's access log. Also: a key configuration that is not pinned is refused in the page, and a receipt from the
// OpenAI-compatible endpoint is checked by the web app's own receipt check running in the browser.
import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeySecret, OhttpKeyRing, parseKeySecrets } from '@doppel/ohttp';
import { launchChromium, requireChromium } from './support/chromium';
import { api, signUp } from './support/clients';
import { startRelay, startTap, type Tap } from './support/ohttp';
import { startStack, type RunningProcess, type Stack } from './support/processes';
import { partialRenders, recordReplyRenders, visibleText } from './support/streamed-reply';

const WEB_ASSETS = resolve(__dirname, '../dist/web/assets');
const RELAY = '127.0.0.3';
const GATEWAY = '127.0.0.4';
const escaped = (address: string) => address.replace(/\./g, '\\.');
/** The gateway's log without colour codes. */
const plainLog = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

interface ReceiptCheckOutcome {
  valid: boolean;
  signer: string | null;
  problems: string[];
  proven: string[];
}

describe('private mode in the browser: chat through an OHTTP relay', () => {
  const keys = generateKeySecret(1);
  let pin: string;
  let stack: Stack;
  /** Between relay and gateway, and between browser and relay: every byte the relay received or sent. */
  let tap: Tap;
  let browserTap: Tap;
  let relay: RunningProcess & { url: string };
  let browser: Browser;
  let user: { id: string; apiKey: string };
  let personaId: string;

  beforeAll(async () => {
    requireChromium();
    pin = (await OhttpKeyRing.create(parseKeySecrets(keys))).published[0]!.hash;
    // 60 tokens/s: a reply takes several animation frames to stream in, so partial renders show it streamed.
    stack = await startStack(['node-ohttp-web'], { GATEWAY_HOST: GATEWAY, OHTTP_KEYS: keys, LOG_LEVEL: 'verbose', SYNTHETIC_TOKENS_PER_SECOND: '60', STREAM_CHUNK_INTERVAL_MS: '0' });
    tap = await startTap(RELAY, new URL(stack.url));
    relay = await startRelay({ RELAY_GATEWAY_URL: `${tap.url}/ohttp`, RELAY_HOST: RELAY, RELAY_PORT: '0', RELAY_LOCAL_ADDRESS: RELAY, LOG_LEVEL: 'verbose' });
    browserTap = await startTap('127.0.0.1', new URL(relay.url));
    user = await signUp(stack.url, 'Incognita');
    const persona = await api(stack.url, user.apiKey)('POST', '/personas', { name: 'Sibylla', description: 'A lighthouse keeper.', generation: { maxTokens: 32 } });
    expect(persona.status).toBe(201);
    personaId = persona.body.id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await browserTap?.close();
    await relay?.stop();
    await tap?.close();
    await stack?.stop();
  });

  async function chatPage(): Promise<{ page: Page; conversationId: string }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API key').fill(user.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const conversation = await api(stack.url, user.apiKey)('POST', '/conversations', { personaId });
    expect(conversation.status).toBe(201);
    await page.goto(`${stack.url}/#/chat/${conversation.body.id}`);
    await expect.poll(() => page.locator('.connection').textContent()).toBe('online');
    return { page, conversationId: conversation.body.id as string };
  }

  async function turnOnPrivateMode(page: Page, pins: string): Promise<void> {
    await page.getByLabel('Private mode').check();
    await page.getByLabel('Relays').fill(`${browserTap.url}/`);
    await page.getByLabel('Pinned key hashes').fill(pins);
  }

  it('sends the turn sealed through the relay: the reply streams into the pane, the relay carries no plaintext, the gateway sees only the relay', async () => {
    const { page, conversationId } = await chatPage();
    await turnOnPrivateMode(page, pin);
    await page.getByRole('group', { name: 'Verification' }).getByLabel('signed', { exact: true }).check();
    // Every rendering of the reply, to show the text arrived in pieces before the end.
    await recordReplyRenders(page);
    const logBefore = stack.gateway.output().length;
    const [sentBefore, receivedBefore] = [tap.toGateway().length, tap.fromGateway().length];
    const [browserSentBefore, browserReceivedBefore] = [browserTap.toGateway().length, browserTap.fromGateway().length];
    const prompt = `Where does the ferry to Quillmarsh leave from? ${randomUUID()}`;
    await page.getByLabel('Message', { exact: true }).fill(prompt);
    await page.getByLabel('Message', { exact: true }).press('Enter');

    const reply = page.locator('.message.assistant').last();
    await reply.locator('.receipt').waitFor({ timeout: 20_000 });
    const stored = await api(stack.url, user.apiKey)('GET', `/conversations/${conversationId}/messages`);
    const messages = stored.body.items as { role: string; content: string }[];
    expect(messages.at(-2)).toMatchObject({ role: 'user', content: prompt });
    const replyText = messages.at(-1)!.content;
    expect(visibleText(await reply.locator('.body').textContent())).toBe(visibleText(replyText));
    expect((await partialRenders(page, replyText)).length).toBeGreaterThan(0);

    // The receipt came inside the sealed /v1/chat/completions stream; the page checks it itself.
    await expect.poll(() => reply.locator('.badge').textContent()).toBe('signed');
    await reply.getByRole('button', { name: /Verify this reply/ }).click();
    await expect.poll(() => reply.locator('.verify-result').textContent(), { timeout: 10_000 }).toMatch(/^✓ verified in your browser: signed by 0x/);

    // Everything the relay received and sent, on both sides: sealed chunked OHTTP, none of the turn's plaintext.
    const toGateway = tap.toGateway().subarray(sentBefore).toString('latin1');
    const fromGateway = tap.fromGateway().subarray(receivedBefore).toString('latin1');
    const fromBrowser = browserTap.toGateway().subarray(browserSentBefore).toString('latin1');
    const toBrowser = browserTap.fromGateway().subarray(browserReceivedBefore).toString('latin1');
    expect(fromBrowser).toContain('POST / HTTP/1.1');
    expect(toGateway).toContain('content-type: message/ohttp-chunked-req');
    expect(fromGateway).toContain('message/ohttp-chunked-res');
    const secrets = [prompt, 'Quillmarsh', user.apiKey, user.apiKey.slice(4, 20), personaId, conversationId, '/v1/chat/completions', 'chat.completion.chunk', 'Bearer', replyText.slice(0, 24)];
    const relayTraffic = { fromBrowser, toGateway, fromGateway, toBrowser };
    for (const [leg, bytes] of Object.entries(relayTraffic)) {
      for (const plaintext of secrets) expect(bytes, `${leg}: ${plaintext}`).not.toContain(plaintext);
      for (const word of replyText.split(/\W+/).filter((w) => w.length >= 6)) expect(bytes, `${leg}: ${word}`).not.toContain(word);
    }
    // What the browser adds to its requests stopped at the relay.
    for (const identifying of ['user-agent', 'HeadlessChrome', 'origin:', 'referer', 'accept-language', 'sec-ch-ua', 'cookie']) {
      expect(toGateway.toLowerCase(), identifying).not.toContain(identifying.toLowerCase());
    }
    expect(relay.output()).not.toContain('Quillmarsh');

    // The gateway: the page's own requests come from the browser's address; the turn came from the relay only.
    const log = plainLog(stack.gateway.output().slice(logBefore));
    const browserPeer = log.match(new RegExp(`GET /conversations/${conversationId}/messages\\S* 200 \\S+ms peer=(\\S+)`))?.[1];
    expect(browserPeer, 'the page read its messages directly').toBeDefined();
    expect([RELAY, GATEWAY]).not.toContain(browserPeer);
    const turnLines = log.split('\n').filter((line) => line.includes('/ohttp') || line.includes('/v1/chat/completions'));
    expect(turnLines.some((line) => new RegExp(`POST /ohttp 200 \\S+ms peer=${escaped(RELAY)}$`).test(line.trim()))).toBe(true);
    expect(turnLines.some((line) => new RegExp(`POST /v1/chat/completions 200 \\S+ms peer=${escaped(GATEWAY)} via=ohttp$`).test(line.trim()))).toBe(true);
    for (const line of turnLines) expect(line).not.toContain(`peer=${browserPeer}`);
    await page.context().close();
  }, 60_000);

  it('refuses a key configuration that does not match the pin, in the page, before anything is sent', async () => {
    const { page, conversationId } = await chatPage();
    const otherPin = (await OhttpKeyRing.create(parseKeySecrets(generateKeySecret(1)))).published[0]!.hash;
    await turnOnPrivateMode(page, otherPin);
    const logBefore = stack.gateway.output().length;
    const browserSentBefore = browserTap.toGateway().length;
    await page.getByLabel('Message', { exact: true }).fill('Is this key mine?');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const alert = page.locator('.message.assistant').last().getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toContain('OHTTP_KEY_CONFIG_NOT_PINNED');
    expect(await alert.textContent()).toContain('its hash is not one of your pinned key hashes, so nothing was sent');
    // Nothing was sealed or sent: the page only fetched the keys from the relay, the gateway served no /ohttp request.
    const fromBrowser = browserTap.toGateway().subarray(browserSentBefore).toString('latin1');
    expect(fromBrowser).toContain('GET /ohttp-keys');
    expect(fromBrowser).not.toContain('POST /');
    expect(stack.gateway.output().slice(logBefore)).not.toContain('POST /ohttp');
    const stored = await api(stack.url, user.apiKey)('GET', `/conversations/${conversationId}/messages`);
    expect((stored.body.items as { content: string }[]).map((message) => message.content)).not.toContain('Is this key mine?');
    await page.context().close();
  }, 30_000);

  it("checks a receipt from POST /v1/chat/completions with the web app's own receipt check in the browser; a tampered transcript fails there", async () => {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', 'x-doppel-verification': 'signed' },
      body: JSON.stringify({ model: personaId, messages: [{ role: 'user', content: 'What time is high tide?' }] }),
    });
    expect(response.status).toBe(200);
    const completion = (await response.json()) as {
      choices: { message: { content: string } }[];
      doppel: { turnId: string; conversationId: string; verification: { receipt: { message: { node: string } }; transcript: { input: unknown; output: { text: string }; memories: unknown } } };
    };
    const { verification, turnId, conversationId } = completion.doppel;
    const expected = { turnId, conversationId, replyText: completion.choices[0]!.message.content };

    // The chunk Vite built from apps/web/src/receipt-check.ts, the code the Verify button loads.
    const chunk = readdirSync(WEB_ASSETS).find((name) => /^receipt-check-[\w-]+\.js$/.test(name));
    expect(chunk, `a receipt-check chunk in ${WEB_ASSETS} (run scripts/build.sh)`).toBeDefined();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.url}/`);
    const checkInBrowser = (proof: unknown, expectation: typeof expected) =>
      page.evaluate<ReceiptCheckOutcome>(
        `(async () => { const { checkReceipt } = await import(${JSON.stringify(`${stack.url}/assets/${chunk}`)}); return checkReceipt(${JSON.stringify(proof)}, ${JSON.stringify(expectation)}); })()`,
      );

    const genuine = await checkInBrowser(verification, expected);
    expect(genuine).toMatchObject({ valid: true, problems: [], proven: ['signed'] });
    expect(genuine.signer?.toLowerCase()).toBe(verification.receipt.message.node.toLowerCase());

    const tamperedOutput = structuredClone(verification);
    tamperedOutput.transcript.output.text = `${tamperedOutput.transcript.output.text} (edited)`;
    const edited = await checkInBrowser(tamperedOutput, { ...expected, replyText: tamperedOutput.transcript.output.text });
    expect(edited.valid).toBe(false);
    expect(edited.problems).toContain('outputHash does not match the transcript');

    const tamperedInput = structuredClone(verification);
    tamperedInput.transcript.input = JSON.parse(JSON.stringify(tamperedInput.transcript.input).replace('high tide', 'low tide'));
    expect(tamperedInput.transcript.input).not.toEqual(verification.transcript.input);
    const swappedInput = await checkInBrowser(tamperedInput, expected);
    expect(swappedInput.valid).toBe(false);
    expect(swappedInput.problems).toContain('inputHash does not match the transcript');

    // A genuine receipt shown next to another reply does not pass either.
    expect((await checkInBrowser(verification, { ...expected, replyText: 'Something else entirely.' })).problems).toContain('the signed output is not the reply shown');
    await page.context().close();
  }, 30_000);
});
