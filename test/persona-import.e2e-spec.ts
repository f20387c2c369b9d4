// Persona import and export over REST: a card PNG in, the persona readable, its export imported again unchanged.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
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

describe('persona import and export', () => {
  let stack: Stack;
  let creator: { id: string; apiKey: string };

  beforeAll(async () => {
    stack = await startStack(['node-cards']);
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
    expect(dropped).toEqual(expect.arrayContaining(['data.creator', 'data.extensions.api_key']));
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
    expect(stdout).toMatch(/dropped  data\.creator: /);
    expect(stdout).not.toContain('sk-should-never-be-stored');
    expect((await api(stack.url, creator.apiKey)('GET', `/personas/${personaId}`)).body.definition.name).toBe('Lumen');
  });
});
