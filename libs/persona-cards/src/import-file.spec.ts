import { describe, expect, it } from 'vitest';
import { lorebookSchema, PERSONA_LIMITS, personaDefinitionSchema } from '@doppel/personas';
import { buildZip } from '../test/build-zip';
import { cardV1, cardV2, cardV3, elizaLater, elizaV01, elizaV1, SECRET_VALUES } from '../test/character-fixtures';
import { importCharacter, importFile, type ImportedCharacter } from './import-file';
import { buildPngWithTextChunks } from './png-text-chunks';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const base64 = (value: unknown) => json(value).toString('base64');
const droppedFields = (result: ImportedCharacter) => result.report.dropped.map((dropped) => dropped.field);
const mappedPairs = (result: ImportedCharacter) => result.report.mapped.map(({ from, to }) => `${from} -> ${to}`);

function expectNoSecrets(result: unknown): void {
  const everything = JSON.stringify(result);
  for (const secret of SECRET_VALUES) expect(everything).not.toContain(secret);
}

describe('importFile: ElizaOS characters', () => {
  it('maps a v0.1 character, keeping what has no persona field in extensions.eliza', async () => {
    const result = await importCharacter(json(elizaV01), 'trump.character.json');
    expect(result.report).toMatchObject({ format: 'eliza-v0.1', container: 'json' });
    expect(result.persona).toEqual({
      name: 'Trump',
      description: 'builds walls\nsaved America from {{user}}\n\nonce ate a steak well done',
      personality: 'uses CAPS for emphasis\nshort answers',
      systemPrompt: 'Roleplay as {{char}}.',
      greeting: '',
      exampleDialogues: [
        { user: 'What about the border?', persona: 'We need a wall, {{user1}}.' },
        { user: 'Hello?', persona: 'Lower them.' },
      ],
      tags: ['border security', 'economy jobs', 'a topic far too long to be any kind of tag at all really'],
      extensions: {
        eliza: {
          clients: ['discord'],
          modelProvider: 'openai',
          settings: { voice: { model: 'en_US-male-medium' } },
          postExamples: ['MAKE AMERICA GREAT AGAIN'],
          adjectives: ['bold'],
          style: { post: ['all caps'] },
        },
      },
      generation: expect.any(Object),
      minVerification: 'none',
    });
    expect(mappedPairs(result)).toEqual(
      expect.arrayContaining(['bio -> description', 'lore -> description', 'style.all -> personality', 'topics -> tags', 'messageExamples -> exampleDialogues', 'knowledge -> knowledge documents']),
    );
    expect(mappedPairs(result)).toContain('adjectives -> extensions.eliza.adjectives (kept for export, not used in prompts)');
    expect(droppedFields(result)).toEqual(['settings.secrets', 'settings.DISCORD_TOKEN']);
    expect(result.knowledge).toEqual([{ title: 'Trump knowledge (imported)', mediaType: 'text/plain', content: 'knows about walls' }]);
    expect(result.report.warnings.join(' ')).toMatch(/2 line\(s\)/);
    expectNoSecrets(result);
  });

  it('maps a v1 character (messageExamples with name, root secrets)', async () => {
    const result = await importCharacter(json(elizaV1));
    expect(result.report.format).toBe('eliza-v1');
    expect(result.persona).toMatchObject({
      name: 'Eliza',
      description: 'A helpful assistant.',
      personality: 'kind',
      systemPrompt: 'Respond as Eliza.',
      exampleDialogues: [{ user: 'Hi', persona: 'Hello! How can I help?' }],
      tags: ['support'],
      extensions: { eliza: { username: 'eliza', plugins: ['@elizaos/plugin-sql'], settings: { model: 'gpt-4o' } } },
    });
    expect(droppedFields(result)).toEqual(['secrets']);
    expectNoSecrets(result);
  });

  it('imports each character of an ElizaOS array as its own persona, with its own report', async () => {
    const imported = await importFile(json([elizaV1, { hello: 'not a character' }, { ...elizaV01, name: 'Second' }]), { fileName: 'team.json' });
    expect(imported.kind).toBe('characters');
    if (imported.kind !== 'characters') return;
    expect(imported.characters.map((character) => character.persona.name)).toEqual(['Eliza', 'Second']);
    expect(droppedFields(imported.characters[0]!)).toEqual(['[0].secrets']);
    expect(droppedFields(imported.characters[1]!)).toEqual(['[2].settings.secrets', '[2].settings.DISCORD_TOKEN']);
    expect(imported.characters[0]!.report.warnings).toContain('1 item(s) of the list are not ElizaOS characters and were skipped.');
    expect(imported.characters[1]!.knowledge).toHaveLength(1);
    expectNoSecrets(imported);
  });

  it('reads v2 grouped examples, `assistant` speakers, an `examples` list, and a stand-in speaker name', async () => {
    const grouped = await importCharacter(
      json({ name: 'Eliza', bio: '{{name}} helps.', messageExamples: [{ examples: [{ name: '{{user1}}', content: { text: 'hi' } }, { name: '{{agentName}}', content: { text: 'hello' } }] }] }),
    );
    expect(grouped.persona.exampleDialogues).toEqual([{ user: 'hi', persona: 'hello' }]);
    const roles = await importCharacter(json({ name: 'Sam', bio: [], messageExamples: [[{ user: 'human', content: { text: 'q' } }, { user: 'assistant', content: { text: 'a' } }]] }));
    expect(roles.persona.exampleDialogues).toEqual([{ user: 'q', persona: 'a' }]);
    const paired = await importCharacter(json({ name: 'Ed', bio: ['x'], lore: [], examples: [{ user: '/help', assistant: 'Here is how.' }] }));
    expect(paired.persona.exampleDialogues).toEqual([{ user: '/help', persona: 'Here is how.' }]);
    const copied = await importCharacter(json({ name: 'Troll', bio: [], messageExamples: [[{ user: '{{user1}}', content: { text: 'who?' } }, { user: 'Eliza', content: { text: 'me' } }]] }));
    expect(copied.persona.exampleDialogues).toEqual([{ user: 'who?', persona: 'me' }]);
    expect(copied.report.warnings[0]).toMatch(/"eliza" was taken as the character/);
  });

  it('recognises the later line by its documents, reporting file references it cannot bring along', async () => {
    const result = await importCharacter(json(elizaLater));
    expect(result.report.format).toBe('eliza-later');
    expect(result.persona).toMatchObject({ name: 'Archivist', description: 'Keeps records.' });
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['documents[0]', 'secrets']));
    expect(result.report.dropped.find((dropped) => dropped.field === 'documents[0]')?.reason).toMatch(/records\.md.*upload/);
    expect(result.knowledge).toEqual([]);
    expectNoSecrets(result);
  });

  it('turns text knowledge and documents into knowledge documents, one per key, and skips blanks', async () => {
    const result = await importCharacter(json({ ...elizaLater, knowledge: ['Fact one.', '  ', 'Fact two.'], documents: ['The archive opens at nine.', { directory: 'docs' }, 42] }));
    expect(result.knowledge).toEqual([
      { title: 'Archivist knowledge (imported)', mediaType: 'text/plain', content: 'Fact one.\n\nFact two.' },
      { title: 'Archivist documents (imported)', mediaType: 'text/plain', content: 'The archive opens at nine.' },
    ]);
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['documents[1]', 'documents[2]']));
  });

  it('takes an inline settings.avatar as the picture', async () => {
    const png = buildPngWithTextChunks([]);
    const result = await importCharacter(json({ ...elizaV1, settings: { avatar: `data:image/png;base64,${png.toString('base64')}` } }));
    expect(result.avatar).toEqual(png);
    expect(result.persona.extensions?.eliza?.settings).toBeUndefined();
  });
});

describe('importFile: character cards', () => {
  it('maps a V1 card, keeping {{char}}/{{user}} as text and multi-line examples whole', async () => {
    const result = await importCharacter(json(cardV1));
    expect(result.report.format).toBe('character-card-v1');
    expect(result.persona).toMatchObject({
      name: 'Seraphina',
      description: '{{char}} is a guardian of the forest.',
      personality: 'caring, protective',
      greeting: '*{{char}} smiles.* You are awake, {{user}}.',
      exampleDialogues: [{ user: 'Where am I?', persona: 'In my glade.\nYou are safe here.' }],
    });
    expect(droppedFields(result)).toEqual(['avatar']);
    expect(result.persona.scenario).toBe(cardV1.scenario);
    expect(result.report.warnings).toHaveLength(1);
  });

  it('maps a V2 card with its lorebook and metadata, keeps other applications’ extensions, and drops secrets', async () => {
    const result = await importCharacter(json(cardV2));
    expect(result.report.format).toBe('character-card-v2');
    expect(result.persona).toMatchObject({
      name: 'Aria',
      systemPrompt: 'You are {{char}}, the ship AI.',
      greeting: 'Systems nominal, {{user}}.',
      exampleDialogues: [{ user: 'Status?', persona: 'All green.' }],
      tags: ['sci-fi', 'ai', 'space'],
      alternateGreetings: ['Welcome aboard.'],
      creator: 'tester',
      characterVersion: '1.2',
      creatorNotes: 'Made for testing.',
      extensions: { card: { extensions: { talkativeness: '0.5' } } },
      lorebook: { scanDepth: 4, tokenBudget: 512, entries: [expect.objectContaining({ keys: ['warp'], content: 'Warp drive lore.', enabled: true })] },
    });
    expect(result.report.mapped).toEqual(
      expect.arrayContaining([
        { from: 'data.character_book', to: 'lorebook' },
        { from: 'data.scenario', to: 'scenario' },
        { from: 'data.creator', to: 'creator' },
        { from: 'data.creator_notes', to: 'creatorNotes' },
      ]),
    );
    expect(droppedFields(result)).toEqual(['data.extensions.openrouter_api_key']);
    expectNoSecrets(result);
  });

  it('maps a V3 card, keeping its V3-only fields', async () => {
    const result = await importCharacter(json(cardV3));
    expect(result.report.format).toBe('character-card-v3');
    expect(result.persona).toMatchObject({ name: 'Nova', nickname: 'Novie', extensions: { card: { group_only_greetings: ['Hello, crew.'], creation_date: 1700000000 } } });
  });

  it('reads a card from a PNG, preferring ccv3 over chara, and takes the PNG as the avatar', async () => {
    const png = buildPngWithTextChunks([
      { keyword: 'chara', text: base64(cardV2) },
      { keyword: 'ccv3', text: base64(cardV3) },
    ]);
    const result = await importCharacter(png, 'nova.png');
    expect(result.report).toMatchObject({ format: 'character-card-v3', container: 'png' });
    expect(result.persona.name).toBe('Nova');
    expect(result.avatar).toBe(png);
    expect((await importCharacter(buildPngWithTextChunks([{ keyword: 'chara', text: base64(cardV2) }]))).persona.name).toBe('Aria');
    const noPicture = buildPngWithTextChunks([{ keyword: 'ccv3', text: base64({ ...cardV3, data: { ...cardV3.data, assets: [] } }) }]);
    expect((await importCharacter(noPicture)).avatar).toBeUndefined();
    expectNoSecrets(result);
  });

  it('reads card.json and its icon out of a CHARX, deflated, stored, or with ZIP64 sizes and data descriptors', async () => {
    const icon = buildPngWithTextChunks([]);
    const card = { ...cardV3, data: { ...cardV3.data, assets: [{ type: 'icon', uri: 'embeded://assets/icon/main.png', name: 'main', ext: 'png' }] } };
    for (const variant of [{ method: 'deflate' }, { method: 'stored' }, { method: 'deflate', zip64Sizes: true }] as const) {
      const charx = buildZip([
        { name: 'assets/icon/main.png', content: icon, ...variant },
        { name: 'card.json', content: json(card), ...variant },
      ]);
      const result = await importCharacter(charx, 'nova.charx');
      expect(result.report).toMatchObject({ format: 'character-card-v3', container: 'charx' });
      expect(result.persona.name).toBe('Nova');
      expect(result.avatar).toEqual(icon);
    }
  });

  it('drops lorebook entries whose regex keys RE2 cannot run, and regex keys past the limit, saying which', async () => {
    const regexEntry = (keys: string[]) => ({ keys, content: `lore for ${keys[0]}`, use_regex: true, enabled: true, insertion_order: 1 });
    const entries = [
      regexEntry(['(a)\\1']),
      regexEntry(['(?<=x)y']),
      regexEntry(['dragons?']),
      ...Array.from({ length: 300 }, (_, index) => regexEntry(Array.from({ length: 31 }, (_, key) => `(x+x+)+y${index}_${key}`))),
    ];
    const started = performance.now();
    const result = await importCharacter(json({ ...cardV2, data: { ...cardV2.data, character_book: { entries } } }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.persona.lorebook?.entries?.map((entry) => entry.keys[0])).toEqual(['dragons?', '(x+x+)+y0_0']);
    const reasons = Object.fromEntries(result.report.dropped.map((dropped) => [dropped.field, dropped.reason]));
    expect(reasons['data.character_book.entries[0]']).toMatch(/regex key "\(a\)\\\\1" is not a supported regular expression/);
    expect(reasons['data.character_book.entries[1]']).toMatch(/not a supported regular expression/);
    // 1 + 31 regex keys fit in 32, the next entry would make 63.
    expect(reasons['data.character_book.entries[3]']).toBeUndefined();
    expect(reasons['data.character_book.entries[4]']).toMatch(/at most 32 regex keys/);
    expect(lorebookSchema.safeParse(result.persona.lorebook).success).toBe(true);
  });

  it('takes creator text of real length (well past 32k characters) and every tag', async () => {
    const long = 'x'.repeat(40_000);
    const tags = Array.from({ length: 140 }, (_, index) => `topic ${index}`);
    const result = await importCharacter(json({ ...cardV2, data: { ...cardV2.data, description: long, personality: long, scenario: long, system_prompt: long, tags } }));
    expect(result.persona).toMatchObject({ description: long, personality: long, scenario: long, systemPrompt: long });
    expect(result.persona.tags).toHaveLength(140);
    expect(result.report.dropped).toEqual([{ field: 'data.extensions.openrouter_api_key', reason: expect.any(String) }]);
  });

  it('cuts text longer than a persona field holds, and says so', async () => {
    const result = await importCharacter(json({ ...cardV1, description: 'x'.repeat(PERSONA_LIMITS.textChars + 10) }));
    expect(result.persona.description).toHaveLength(PERSONA_LIMITS.textChars);
    expect(droppedFields(result)).toContain(`description (beyond character ${PERSONA_LIMITS.textChars})`);
    expect(result.report.warnings.join(' ')).toMatch(/cut to 65536/);
  });

  it('names the tags it leaves out, and why', async () => {
    const result = await importCharacter(json({ ...cardV1, tags: ['Fine', '!!!', 'y'.repeat(70)] }));
    expect(result.persona.tags).toEqual(['fine']);
    expect(result.report.dropped).toEqual(
      expect.arrayContaining([
        { field: 'tags[1] "!!!"', reason: 'no letters or digits left to make a tag' },
        { field: `tags[2] "${'y'.repeat(40)}"`, reason: 'longer than 64 characters, the most a tag holds' },
      ]),
    );
  });

  it('produces definitions the persona schema accepts', async () => {
    for (const file of [cardV1, cardV2, cardV3, elizaV01, elizaV1, elizaLater]) {
      const { persona } = await importCharacter(json(file));
      expect(personaDefinitionSchema.safeParse({ ...persona, defaultModel: 'synthetic' }).success).toBe(true);
    }
  });
});

describe('importFile: standalone lorebooks', () => {
  it('imports SillyTavern World Info keyed by number, with its own names', async () => {
    const worldInfo = {
      entries: {
        '0': { uid: 0, key: ['forest', '', '/shadow\\w+/i'], keysecondary: [], comment: 'Forest', content: 'The forest is old.', order: 10, position: 0, disable: false, sticky: 2 },
        '1': { uid: 1, key: [], comment: 'Always', content: 'Magic is real.', constant: true, position: 1 },
        '2': { uid: 2, key: ['nothing'], content: '' },
      },
    };
    const imported = await importFile(json(worldInfo), { fileName: 'Eldoria.json' });
    expect(imported.kind).toBe('lorebook');
    if (imported.kind !== 'lorebook') return;
    expect(imported.report.format).toBe('sillytavern-world-info');
    expect(imported.lorebook).toMatchObject({
      name: 'Eldoria',
      entries: [
        { keys: ['forest', 'shadow\\w+'], useRegex: true, caseSensitive: false, content: 'The forest is old.', insertionOrder: 10, name: 'Forest', extras: { sticky: 2 } },
        { keys: ['Always'], constant: true, content: 'Magic is real.', extras: { position: 1 } },
      ],
    });
    expect(imported.report.dropped.map((dropped) => dropped.field)).toEqual(['(book).entries[0].keys (1 empty)', '(book).entries[2]']);
  });

  it('reads both naming schemes, Agnai books and the V3 lorebook wrapper, and warns about entries larger than the budget', async () => {
    const chub = { name: 'Both', token_budget: 50, entries: { '1': { uid: 0, key: ['a'], keys: ['a'], disable: false, enabled: true, order: 5, insertion_order: 5, content: 'long '.repeat(200) } } };
    const both = await importFile(json(chub));
    expect(both.kind === 'lorebook' && both.lorebook.entries).toEqual([expect.objectContaining({ keys: ['a'], insertionOrder: 5, enabled: true })]);
    expect(both.kind === 'lorebook' && both.report.warnings[0]).toMatch(/about 250 tokens, more than the book's token budget of 50/);
    const agnai = await importFile(json({ kind: 'memory', name: 'Lore', entries: [{ name: '0', entry: 'Hogwarts is a school.', keywords: ['Hogwarts'], priority: 1, weight: 1, enabled: true }] }));
    expect(agnai).toMatchObject({ kind: 'lorebook', report: { format: 'agnai-memory-book' }, lorebook: { name: 'Lore', entries: [{ keys: ['Hogwarts'], content: 'Hogwarts is a school.' }] } });
    const v3 = await importFile(json({ spec: 'lorebook_v3', data: { name: 'Spec', entries: [{ keys: ['k'], content: 'c' }] } }));
    expect(v3).toMatchObject({ kind: 'lorebook', report: { format: 'lorebook-v3' }, lorebook: { name: 'Spec' } });
  });
});
