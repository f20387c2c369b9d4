import { describe, expect, it } from 'vitest';
import { lorebookSchema, personaDefinitionSchema } from '@doppel/personas';
import { buildZip } from '../test/build-zip';
import { cardV1, cardV2, cardV3, elizaLater, elizaV01, elizaV1, SECRET_VALUES } from '../test/character-fixtures';
import { importCharacter, type ImportResult } from './import-character';
import { TEXT_LIMITS } from './imported-persona';
import { buildPngWithTextChunks } from './png-text-chunks';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const base64 = (value: unknown) => json(value).toString('base64');
const droppedFields = (result: ImportResult) => result.report.dropped.map((dropped) => dropped.field);
const mappedPairs = (result: ImportResult) => result.report.mapped.map(({ from, to }) => `${from} -> ${to}`);

function expectNoSecrets(result: ImportResult): void {
  const everything = JSON.stringify(result);
  for (const secret of SECRET_VALUES) expect(everything).not.toContain(secret);
}

describe('importCharacter: ElizaOS characters', () => {
  it('maps a v0.1 character and reports what it drops', () => {
    const result = importCharacter(json(elizaV01), 'trump.character.json');
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
      tags: ['border security', 'economy jobs'],
      generation: expect.any(Object),
      minVerification: 'none',
    });
    expect(mappedPairs(result)).toEqual(
      expect.arrayContaining(['bio -> description', 'lore -> description', 'style.all -> personality', 'style.chat -> personality', 'system -> systemPrompt', 'topics -> tags', 'messageExamples -> exampleDialogues']),
    );
    expect(droppedFields(result)).toEqual(
      expect.arrayContaining(['settings.secrets', 'settings.DISCORD_TOKEN', 'settings', 'clients', 'modelProvider', 'postExamples', 'adjectives', 'style.post', 'topics[2]']),
    );
    expect(mappedPairs(result)).toContain('knowledge -> knowledge documents');
    expect(result.knowledge).toEqual([{ title: 'Trump knowledge (imported)', mediaType: 'text/plain', content: 'knows about walls' }]);
    expect(droppedFields(result)).not.toContain('plugins'); // empty lists are not worth a line
    expect(result.report.warnings.join(' ')).toMatch(/2 line\(s\)/);
    expectNoSecrets(result);
  });

  it('maps a v1 character (messageExamples with name, root secrets)', () => {
    const result = importCharacter(json(elizaV1));
    expect(result.report.format).toBe('eliza-v1');
    expect(result.persona).toMatchObject({
      name: 'Eliza',
      description: 'A helpful assistant.',
      personality: 'kind',
      systemPrompt: 'Respond as Eliza.',
      exampleDialogues: [{ user: 'Hi', persona: 'Hello! How can I help?' }],
      tags: ['support'],
    });
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['secrets', 'username', 'plugins', 'settings']));
    expectNoSecrets(result);
  });

  it('recognises the later line by its documents, reporting file references it cannot bring along', () => {
    const result = importCharacter(json(elizaLater));
    expect(result.report.format).toBe('eliza-later');
    expect(result.persona).toMatchObject({ name: 'Archivist', description: 'Keeps records.' });
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['documents[0]', 'secrets']));
    expect(result.report.dropped.find((dropped) => dropped.field === 'documents[0]')?.reason).toMatch(/records\.md.*upload/);
    expect(droppedFields(result)).not.toContain('knowledge');
    expect(result.knowledge).toEqual([]);
    expectNoSecrets(result);
  });

  it('turns text knowledge and documents into knowledge documents, one per key, and skips blanks', () => {
    const result = importCharacter(json({ ...elizaLater, knowledge: ['Fact one.', '  ', 'Fact two.'], documents: ['The archive opens at nine.', { directory: 'docs' }, 42] }));
    expect(result.knowledge).toEqual([
      { title: 'Archivist knowledge (imported)', mediaType: 'text/plain', content: 'Fact one.\n\nFact two.' },
      { title: 'Archivist documents (imported)', mediaType: 'text/plain', content: 'The archive opens at nine.' },
    ]);
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['documents[1]', 'documents[2]']));
  });
});

describe('importCharacter: character cards', () => {
  it('maps a V1 card, keeping {{char}}/{{user}} as text and multi-line examples whole', () => {
    const result = importCharacter(json(cardV1));
    expect(result.report.format).toBe('character-card-v1');
    expect(result.persona).toMatchObject({
      name: 'Seraphina',
      description: '{{char}} is a guardian of the forest.',
      personality: 'caring, protective',
      greeting: '*{{char}} smiles.* You are awake, {{user}}.',
      exampleDialogues: [{ user: 'Where am I?', persona: 'In my glade.\nYou are safe here.' }],
    });
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['avatar']));
    expect(result.report.mapped).toContainEqual({ from: 'scenario', to: 'scenario' });
    expect(result.persona.scenario).toBe(cardV1.scenario);
    expect(result.report.warnings).toHaveLength(1);
  });

  it('drops lorebook entries whose regex keys RE2 cannot run, and regex keys past the limit, saying which', () => {
    const regexEntry = (keys: string[]) => ({ keys, content: `lore for ${keys[0]}`, use_regex: true, enabled: true, insertion_order: 1 });
    const entries = [
      regexEntry(['(a)\\1']),
      regexEntry(['(?<=x)y']),
      regexEntry(['dragons?']),
      ...Array.from({ length: 300 }, (_, index) => regexEntry(Array.from({ length: 31 }, (_, key) => `(x+x+)+y${index}_${key}`))),
    ];
    const started = performance.now();
    const result = importCharacter(json({ ...cardV2, data: { ...cardV2.data, character_book: { entries } } }));
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

  it('maps a V2 card with its lorebook, scenario and post-history instructions, and drops secrets', () => {
    const result = importCharacter(json(cardV2));
    expect(result.report.format).toBe('character-card-v2');
    expect(result.persona).toMatchObject({
      name: 'Aria',
      systemPrompt: 'You are {{char}}, the ship AI.',
      greeting: 'Systems nominal, {{user}}.',
      exampleDialogues: [{ user: 'Status?', persona: 'All green.' }],
      tags: ['sci-fi', 'ai', 'space'],
      alternateGreetings: ['Welcome aboard.'],
      lorebook: { scanDepth: 4, tokenBudget: 512, entries: [expect.objectContaining({ keys: ['warp'], content: 'Warp drive lore.', enabled: true })] },
    });
    expect(result.report.mapped).toContainEqual({ from: 'data.character_book', to: 'lorebook' });
    expect(result.report.mapped).toEqual(
      expect.arrayContaining([
        { from: 'data.scenario', to: 'scenario' },
        { from: 'data.post_history_instructions', to: 'postHistoryInstructions' },
      ]),
    );
    expect(droppedFields(result)).not.toEqual(expect.arrayContaining(['data.scenario']));
    expect(droppedFields(result)).not.toEqual(expect.arrayContaining(['data.post_history_instructions']));
    expect(droppedFields(result)).not.toContain('data.character_book');
    expect(droppedFields(result)).toEqual(
      expect.arrayContaining([
        'data.creator_notes',
        'data.creator',
        'data.character_version',
        'data.extensions.talkativeness',
        'data.extensions.openrouter_api_key',
      ]),
    );
    expectNoSecrets(result);
  });

  it('maps a V3 card and drops its V3-only fields', () => {
    const result = importCharacter(json(cardV3));
    expect(result.report.format).toBe('character-card-v3');
    expect(result.persona.name).toBe('Nova');
    expect(droppedFields(result)).toEqual(expect.arrayContaining(['data.group_only_greetings', 'data.nickname', 'data.assets', 'data.creation_date']));
  });

  it('reads a card from a PNG, preferring ccv3 over chara', () => {
    const png = buildPngWithTextChunks([
      { keyword: 'chara', text: base64(cardV2) },
      { keyword: 'ccv3', text: base64(cardV3) },
    ]);
    const result = importCharacter(png, 'nova.png');
    expect(result.report).toMatchObject({ format: 'character-card-v3', container: 'png' });
    expect(result.persona.name).toBe('Nova');
    expect(importCharacter(buildPngWithTextChunks([{ keyword: 'chara', text: base64(cardV2) }])).persona.name).toBe('Aria');
    expectNoSecrets(result);
  });

  it('reads card.json out of a CHARX, deflated or stored', () => {
    for (const method of ['deflate', 'stored'] as const) {
      const charx = buildZip([
        { name: 'assets/icon/main.png', content: buildPngWithTextChunks([]), method },
        { name: 'card.json', content: json(cardV3), method },
      ]);
      const result = importCharacter(charx, 'nova.charx');
      expect(result.report).toMatchObject({ format: 'character-card-v3', container: 'charx' });
      expect(result.persona.name).toBe('Nova');
    }
  });

  it('cuts text longer than a persona field holds, and says so', () => {
    const result = importCharacter(json({ ...cardV1, description: 'x'.repeat(TEXT_LIMITS.description + 10) }));
    expect(result.persona.description).toHaveLength(TEXT_LIMITS.description);
    expect(droppedFields(result)).toContain(`description (beyond character ${TEXT_LIMITS.description})`);
    expect(result.report.warnings.join(' ')).toMatch(/cut to 2000/);
  });

  it('keeps TEXT_LIMITS in step with the persona schema', () => {
    const at = (field: string, length: number) => personaDefinitionSchema.safeParse({ name: 'n', defaultModel: 'm', [field]: 'x'.repeat(length) }).success;
    for (const field of ['name', 'description', 'personality', 'systemPrompt', 'greeting'] as const) {
      expect(at(field, TEXT_LIMITS[field]), field).toBe(true);
      expect(at(field, TEXT_LIMITS[field] + 1), field).toBe(false);
    }
  });
});
