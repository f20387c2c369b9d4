// Persona import and export over REST: a card PNG in, the persona readable, its export imported again unchanged.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { buildZip } from '../libs/persona-cards/test/build-zip';
import { api, signUp } from './support/clients';
import { startStack, waitFor, type Stack } from './support/processes';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])), 0);
  return Buffer.concat([header, data, crc]);
}

/** A 1x1 PNG with the card in a `chara` tEXt chunk, built here independently of the code under test. */
function cardPng(card: unknown): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]); // 1x1, 8-bit greyscale
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]); // zlib of [0, 0]
  const text = Buffer.concat([Buffer.from('chara\u0000', 'latin1'), Buffer.from(Buffer.from(JSON.stringify(card)).toString('base64'), 'latin1')]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('tEXt', text), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

const card = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Lumen',
    description: '{{char}} is a lighthouse keeper.',
    personality: 'patient, wry',
    scenario: 'A stormy night.',
    first_mes: 'Come in out of the rain, {{user}}.',
    mes_example: '<START>\n{{user}}: Is the light on?\n{{char}}: Always.',
    system_prompt: 'You are {{char}}.',
    post_history_instructions: 'Answer as the keeper would, briefly.',
    alternate_greetings: ['Another visitor?'],
    tags: ['Cozy'],
    creator: 'e2e',
    character_version: '1',
    extensions: { api_key: 'sk-should-never-be-stored' },
    creator_notes: '',
  },
};

const IMPORT_CAP = 1_500_000;

/** Sends a file the way a browser or curl does: raw body, or multipart with a `file` part. */
async function upload(url: string, apiKey: string, path: string, bytes: Buffer, how: { contentType?: string; multipart?: { fileName: string; fields?: Record<string, string> } }) {
  let body: FormData | Buffer;
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
  if (how.multipart) {
    const form = new FormData();
    for (const [name, value] of Object.entries(how.multipart.fields ?? {})) form.append(name, value);
    form.append('file', new Blob([bytes]), how.multipart.fileName);
    body = form;
  } else {
    headers['content-type'] = how.contentType ?? 'application/octet-stream';
    body = bytes;
  }
  const response = await fetch(new URL(path, url), { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** A real (if small) picture for avatars: 64x96 RGB with some structure, built here, not by the code under test. */
function picturePng(seed: number): Buffer {
  const width = 64;
  const height = 96;
  const rows = Array.from({ length: height }, (_, y) => Buffer.from([0, ...Array.from({ length: width * 3 }, (_, x) => (x * seed + y * 7) % 256)]));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8);
  ihdr.writeUInt8(2, 9);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** A picture with the card in a `chara` tEXt chunk after IHDR, as card editors write them. */
function cardOnPicture(card: unknown, picture: Buffer): Buffer {
  const text = Buffer.concat([Buffer.from('chara\u0000', 'latin1'), Buffer.from(Buffer.from(JSON.stringify(card)).toString('base64'), 'latin1')]);
  return Buffer.concat([picture.subarray(0, 33), chunk('tEXt', text), picture.subarray(33)]);
}

describe('persona import and export', () => {
  let stack: Stack;
  let creator: { id: string; apiKey: string };

  beforeAll(async () => {
    stack = await startStack(['node-cards'], { PERSONA_IMPORT_MAX_BYTES: String(IMPORT_CAP), AVATAR_MAX_BYTES: String(IMPORT_CAP) });
    creator = await signUp(stack.url, 'Card creator');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('imports a card PNG, shows the persona, and re-imports its export unchanged', async () => {
    const call = api(stack.url, creator.apiKey);
    const imported = await call('POST', '/personas/import', { fileName: 'lumen.png', contentBase64: cardPng(card).toString('base64') });
    expect(imported.status).toBe(201);
    expect(imported.body.report).toMatchObject({ format: 'character-card-v2', container: 'png' });
    const dropped = imported.body.report.dropped.map((entry: { field: string }) => entry.field);
    expect(dropped).toEqual(['data.extensions.api_key']);
    expect(imported.body.report.mapped).toContainEqual({ from: 'data.creator', to: 'creator' });
    expect(dropped).not.toContain('data.scenario');
    expect(dropped).not.toContain('data.alternate_greetings');
    expect(imported.body.persona.definition.alternateGreetings).toEqual(['Another visitor?']);
    expect(JSON.stringify(imported.body)).not.toContain('sk-should-never-be-stored');
    const personaId = imported.body.persona.id;

    const read = await call('GET', `/personas/${personaId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      ownerId: creator.id,
      visibility: 'private',
      definition: {
        name: 'Lumen',
        greeting: 'Come in out of the rain, {{user}}.',
        scenario: 'A stormy night.',
        postHistoryInstructions: 'Answer as the keeper would, briefly.',
        exampleDialogues: [{ user: 'Is the light on?', persona: 'Always.' }],
        tags: ['cozy'],
        defaultModel: 'synthetic',
        creator: 'e2e',
        characterVersion: '1',
      },
    });

    for (const format of ['ccv3-png', 'ccv3', 'eliza']) {
      const response = await fetch(`${stack.url}/personas/${personaId}/export?format=${format}`, { headers: { authorization: `Bearer ${creator.apiKey}` } });
      expect(response.status, format).toBe(200);
      expect(response.headers.get('content-type'), format).toMatch(format === 'ccv3-png' ? /^image\/png/ : /^application\/json/);
      const exported = Buffer.from(await response.arrayBuffer());
      const again = await call('POST', '/personas/import', { contentBase64: exported.toString('base64') });
      expect(again.status, format).toBe(201);
      expect(again.body.report.dropped, format).toEqual([]);
      expect(again.body.persona.definition, format).toEqual(read.body.definition);
      expect(again.body.persona.contentHash, format).toBe(read.body.contentHash);
    }
  });

  it("imports an Eliza character's text knowledge as a knowledge document that a worker indexes", async () => {
    const call = api(stack.url, creator.apiKey);
    const eliza = {
      name: 'Keeper',
      bio: ['Keeps the lighthouse.'],
      lore: [],
      knowledge: ['The lamp was lit first in 1847.', 'Its range is nineteen nautical miles.', { path: 'logbook.md' }],
      messageExamples: [],
      postExamples: [],
      topics: [],
      style: { all: [], chat: [], post: [] },
      adjectives: [],
      clients: [],
      modelProvider: 'openai',
    };
    const imported = await call('POST', '/personas/import', { contentBase64: Buffer.from(JSON.stringify(eliza)).toString('base64') });
    expect(imported.status).toBe(201);
    expect(imported.body.report.mapped).toContainEqual({ from: 'knowledge', to: 'knowledge documents' });
    expect(imported.body.report.dropped.map((entry: { field: string }) => entry.field)).toContain('knowledge[2]');
    expect(imported.body.knowledge).toEqual([expect.objectContaining({ title: 'Keeper knowledge (imported)', mediaType: 'text/plain', status: 'pending' })]);
    const personaId = imported.body.persona.id;
    const documentId = imported.body.knowledge[0].id;
    const ready = await waitFor(async () => {
      const document = await call('GET', `/personas/${personaId}/knowledge/${documentId}`);
      return document.body.status === 'ready' ? document.body : null;
    }, 'the imported knowledge to be indexed');
    expect(ready.content).toBe('The lamp was lit first in 1847.\n\nIts range is nineteen nautical miles.');
  });

  it('answers bad files with a stable code', async () => {
    const call = api(stack.url, creator.apiKey);
    const notJson = await call('POST', '/personas/import', { contentBase64: Buffer.from('{"name":').toString('base64') });
    expect(notJson).toMatchObject({ status: 400, body: { code: ErrorCode.ImportInvalid } });
    const unknown = await call('POST', '/personas/import', { contentBase64: Buffer.from('{"hello":"world"}').toString('base64') });
    expect(unknown).toMatchObject({ status: 400, body: { code: ErrorCode.ImportUnsupportedFormat } });
    const corrupted = cardPng(card);
    corrupted[corrupted.length - 20] ^= 0xff;
    expect(await call('POST', '/personas/import', { contentBase64: corrupted.toString('base64') })).toMatchObject({ status: 400, body: { code: ErrorCode.ImportInvalid } });
    expect(await call('POST', '/personas/import', { contentBase64: 'not base64!' })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });
    expect((await call('GET', '/personas/00000000-0000-0000-0000-000000000000/export')).status).toBe(404);
  });

  it('imports a card from the command line through the gateway, printing the report', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'doppel-cli-import-'));
    const file = join(folder, 'lumen.png');
    await writeFile(file, cardPng(card));
    const { stdout } = await promisify(execFile)(process.execPath, [resolve(__dirname, '../dist/apps/cli/main.js'), 'import', file, '--url', stack.url], {
      env: { PATH: process.env.PATH ?? '', DOPPEL_API_KEY: creator.apiKey },
    });
    const personaId = /as persona ([0-9a-f-]{36}) \(private\)/.exec(stdout)?.[1];
    expect(personaId, stdout).toBeDefined();
    expect(stdout).toContain('mapped   data.first_mes → greeting');
    expect(stdout).toContain('mapped   data.scenario → scenario');
    expect(stdout).toContain('mapped   data.creator → creator');
    expect(stdout).toMatch(/dropped  data\.extensions\.api_key: /);
    expect(stdout).not.toContain('sk-should-never-be-stored');
    expect((await api(stack.url, creator.apiKey)('GET', `/personas/${personaId}`)).body.definition.name).toBe('Lumen');
  });

  it('takes the file itself, as multipart or a raw body, with its own cap, and stores nothing it refuses', async () => {
    const call = api(stack.url, creator.apiKey);
    const mine = async () => (await call('GET', '/personas?mine=true&limit=100')).body.items.length;
    const png = cardOnPicture(card, picturePng(3));
    const multipart = await upload(stack.url, creator.apiKey, '/personas/import', png, { multipart: { fileName: 'lumen.png', fields: { visibility: 'public' } } });
    expect(multipart.status, JSON.stringify(multipart.body)).toBe(201);
    expect(multipart.body).toMatchObject({ kind: 'persona', persona: { visibility: 'public', definition: { name: 'Lumen', avatar: expect.stringMatching(/^[0-9a-f]{64}$/) } }, report: { container: 'png' } });
    const raw = await upload(stack.url, creator.apiKey, '/personas/import?fileName=lumen.png', png, { contentType: 'image/png' });
    expect(raw).toMatchObject({ status: 201, body: { kind: 'persona', persona: { visibility: 'private' } } });
    expect(raw.body.persona.contentHash).toBe(multipart.body.persona.contentHash);
    const rawJson = await upload(stack.url, creator.apiKey, '/personas/import', Buffer.from(JSON.stringify(card)), { contentType: 'application/json' });
    expect(rawJson).toMatchObject({ status: 201, body: { kind: 'persona', report: { container: 'json', format: 'character-card-v2' } } });
    const charx = buildZip([{ name: 'card.json', content: Buffer.from(JSON.stringify({ ...card, spec: 'chara_card_v3', spec_version: '3.0' })), method: 'deflate', zip64Sizes: true }]);
    expect(await upload(stack.url, creator.apiKey, '/personas/import', charx, { contentType: 'application/zip' })).toMatchObject({ status: 201, body: { report: { container: 'charx' } } });

    const before = await mine();
    const oversized = Buffer.concat([png, Buffer.alloc(IMPORT_CAP, 0x20)]);
    for (const how of [{ contentType: 'image/png' }, { multipart: { fileName: 'huge.png' } }]) {
      expect(await upload(stack.url, creator.apiKey, '/personas/import', oversized, how)).toMatchObject({ status: 413, body: { code: ErrorCode.ImportTooLarge } });
    }
    // The JSON form stays for small files, and says what to do instead.
    const wrapped = await call('POST', '/personas/import', { contentBase64: Buffer.concat([png, Buffer.alloc(70_000)]).toString('base64') });
    expect(wrapped).toMatchObject({ status: 413, body: { code: ErrorCode.PayloadTooLarge, message: expect.stringMatching(/send the file itself/) } });
    const brokenMultipart = await fetch(new URL('/personas/import', stack.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${creator.apiKey}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nhalf a fi',
    });
    expect(brokenMultipart.status).toBe(400);
    expect(((await brokenMultipart.json()) as { code: string }).code).toBe(ErrorCode.ValidationFailed);
    expect(await upload(stack.url, creator.apiKey, '/personas/import', png, { contentType: 'text/html' })).toMatchObject({ status: 400, body: { code: ErrorCode.ImportUnsupportedFormat } });
    const truncated = png.subarray(0, png.length - 100);
    expect(await upload(stack.url, creator.apiKey, '/personas/import', truncated, { contentType: 'image/png' })).toMatchObject({ status: 400, body: { code: ErrorCode.ImportInvalid } });
    expect(await mine()).toBe(before);
  });

  it("makes a card's picture the avatar, serves it by hash with caching headers, and puts it back into the exported card", async () => {
    const call = api(stack.url, creator.apiKey);
    const imported = await upload(stack.url, creator.apiKey, '/personas/import', cardOnPicture(card, picturePng(5)), { contentType: 'image/png' });
    const { id: personaId, contentHash, definition } = imported.body.persona;
    const hash: string = definition.avatar;

    const image = await fetch(new URL(`/avatars/${hash}`, stack.url)); // no API key: an <img> sends none
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(image.headers.get('content-security-policy')).toContain('sandbox');
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(hash);
    expect(bytes.includes('chara')).toBe(false); // the card's text is not part of the picture
    expect((await fetch(new URL(`/avatars/${hash}`, stack.url), { headers: { 'if-none-match': image.headers.get('etag')! } })).status).toBe(304);
    const thumbnail = await fetch(new URL(`/avatars/${hash}/thumbnail`, stack.url));
    expect([thumbnail.status, thumbnail.headers.get('content-type')]).toEqual([200, 'image/webp']);
    expect((await fetch(new URL(`/avatars/${'0'.repeat(64)}`, stack.url))).status).toBe(404);

    for (const format of ['ccv3-png', 'ccv3', 'eliza']) {
      const exported = await fetch(`${stack.url}/personas/${personaId}/export?format=${format}`, { headers: { authorization: `Bearer ${creator.apiKey}` } });
      const again = await upload(stack.url, creator.apiKey, '/personas/import', Buffer.from(await exported.arrayBuffer()), {});
      expect(again.status, format).toBe(201);
      expect(again.body.persona.definition.avatar, format).toBe(hash);
      expect(again.body.persona.contentHash, format).toBe(contentHash);
    }

    const uploaded = await upload(stack.url, creator.apiKey, '/avatars', picturePng(9), { contentType: 'image/png' });
    expect(uploaded).toMatchObject({ status: 201, body: { hash: expect.stringMatching(/^[0-9a-f]{64}$/), width: 64, height: 96, thumbnailUrl: expect.stringMatching(/^\/avatars\/.+\/thumbnail$/) } });
    expect((await call('PATCH', `/personas/${personaId}`, { avatar: uploaded.body.hash })).body).toMatchObject({ version: 2, definition: { avatar: uploaded.body.hash } });
    expect((await call('PATCH', `/personas/${personaId}`, { avatar: 'f'.repeat(64) })).body.code).toBe(ErrorCode.AvatarNotFound);
    expect((await call('PATCH', `/personas/${personaId}`, { avatar: null })).body.definition.avatar).toBeUndefined();
    const svg = await upload(stack.url, creator.apiKey, '/avatars', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), { contentType: 'image/png' });
    expect(svg).toMatchObject({ status: 400, body: { code: ErrorCode.AvatarInvalid } });
  });

  it('imports each character of an ElizaOS list as its own persona', async () => {
    const characters = ['Ada', 'Max', 'Shaw'].map((name) => ({ name, bio: [`${name} builds things.`], topics: ['making'], messageExamples: [], plugins: [] }));
    const imported = await upload(stack.url, creator.apiKey, '/personas/import?fileName=team.json', Buffer.from(JSON.stringify(characters)), { contentType: 'application/json' });
    expect(imported.status).toBe(201);
    expect(imported.body.kind).toBe('personas');
    expect(imported.body.personas.map((item: { persona: { definition: { name: string } } }) => item.persona.definition.name)).toEqual(['Ada', 'Max', 'Shaw']);
  });

  it('imports a standalone lorebook, attaches it, edits it (new persona versions), exports it as World Info, and deletes it', async () => {
    const call = api(stack.url, creator.apiKey);
    const worldInfo = {
      entries: {
        '0': { uid: 0, key: ['glade', ''], keysecondary: [], comment: 'The glade', content: 'The glade is warded by old magic.', order: 10, position: 0, disable: false },
        '1': { uid: 1, key: ['shadowfang'], comment: 'Shadowfangs', content: 'Shadowfangs hunt at night.', order: 20, position: 1, disable: false, sticky: 2 },
      },
    };
    const imported = await upload(stack.url, creator.apiKey, '/personas/import?fileName=Eldoria.json', Buffer.from(JSON.stringify(worldInfo)), { contentType: 'application/json' });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ kind: 'lorebook', lorebook: { book: { name: 'Eldoria', entries: [{ keys: ['glade'] }, { keys: ['shadowfang'] }] } }, report: { format: 'sillytavern-world-info' } });
    expect(imported.body.report.dropped.map((dropped: { field: string }) => dropped.field)).toEqual(['(book).entries[0].keys (1 empty)']);
    const lorebookId = imported.body.lorebook.id;

    const persona = (await call('POST', '/personas', { name: 'Warden', visibility: 'private' })).body;
    const attached = await call('POST', `/lorebooks/${lorebookId}/personas/${persona.id}`);
    expect(attached).toMatchObject({ status: 200, body: { attachedTo: [persona.id] } });
    const afterAttach = (await call('GET', `/personas/${persona.id}`)).body;
    expect(afterAttach).toMatchObject({ version: 2, definition: { attachedLorebooks: [{ id: lorebookId, name: 'Eldoria' }] } });
    const { visibility: _visibility, ...definition } = { ...afterAttach.definition, visibility: undefined };
    const preview = await call('POST', '/personas/preview-prompt', { persona: definition, sampleMessage: 'what hunts in the glade? a shadowfang?' });
    expect(preview.body.messages[0].content).toContain('Shadowfangs hunt at night.');
    expect(preview.body.attachedLoreEntries).toEqual([{ lorebookId, index: 0 }, { lorebookId, index: 1 }]);

    const edited = { ...imported.body.lorebook.book, entries: [{ ...imported.body.lorebook.book.entries[1], content: 'Shadowfangs fear the light.' }] };
    expect((await call('PUT', `/lorebooks/${lorebookId}`, edited)).status).toBe(200);
    expect((await call('GET', `/personas/${persona.id}`)).body).toMatchObject({ version: 3, definition: { attachedLorebooks: [{ entries: [{ content: 'Shadowfangs fear the light.' }] }] } });

    const exported = await fetch(`${stack.url}/lorebooks/${lorebookId}/export`, { headers: { authorization: `Bearer ${creator.apiKey}` } });
    const exportedBook = (await exported.json()) as { entries: Record<string, unknown> };
    expect(exportedBook.entries['0']).toMatchObject({ uid: 0, key: ['shadowfang'], comment: 'Shadowfangs', content: 'Shadowfangs fear the light.', sticky: 2, disable: false });

    const stranger = await signUp(stack.url, 'Lorebook stranger');
    const strangerCall = api(stack.url, stranger.apiKey);
    expect((await strangerCall('GET', `/lorebooks/${lorebookId}`)).body.code).toBe(ErrorCode.LorebookNotFound);
    const strangerBook = (await strangerCall('POST', '/lorebooks', { name: 'Mine', entries: [{ keys: ['x'], content: 'y' }] })).body;
    expect((await strangerCall('POST', `/lorebooks/${strangerBook.id}/personas/${persona.id}`)).body.code).toBe(ErrorCode.PersonaNotFound);

    expect((await call('DELETE', `/lorebooks/${lorebookId}`)).status).toBe(204);
    const afterDelete = (await call('GET', `/personas/${persona.id}`)).body;
    expect(afterDelete.version).toBe(4);
    expect(afterDelete.definition.attachedLorebooks).toBeUndefined();
  });
});
