import { describe, expect, it } from 'vitest';
import { personaDefinitionSchema, type PersonaDefinition } from '@doppel/personas';
import { cardV2, elizaV01 } from '../test/character-fixtures';
import { EXPORT_FORMATS, exportLorebook, exportPersona } from './export-persona';
import { importCharacter, importFile } from './import-file';
import { buildPngWithTextChunks, readPngText } from './png-text-chunks';

const fullPersona: PersonaDefinition = personaDefinitionSchema.parse({
  name: 'Ada Lovelace',
  description: 'Mathematician.\n\nWrote the first program for {{user}}.',
  personality: 'curious, precise\nspeaks in Victorian English',
  systemPrompt: 'You are {{char}}. Never break character.',
  greeting: 'Good day, {{user}}. Shall we compute?',
  scenario: 'A London drawing room, 1843; {{user}} has come to see the Engine plans.',
  postHistoryInstructions: 'Reply in two sentences at most.',
  alternateGreetings: ['Ah, {{user}}! The engine awaits.', 'Another visitor. Numbers or poetry?'],
  exampleDialogues: [
    { user: 'What is the Analytical Engine?', persona: 'A machine that weaves algebraic patterns.\nAs a loom weaves flowers.' },
    { user: 'Are you {{char}}?', persona: 'Indeed I am.' },
  ],
  tags: ['history', 'science fiction', 'math_2', 'mathématiques'],
  defaultModel: 'synthetic',
  generation: { maxTokens: 300, temperature: 0.5, topP: 0.9, topK: 20, repetitionPenalty: 1.2, stop: ['\nUser:'] },
  minVerification: 'signed',
  creator: 'Charles',
  creatorNotes: 'Best with a sampler at 0.5.',
  characterVersion: '2.1',
  nickname: 'Enchantress of Numbers',
  extensions: {
    card: { extensions: { depth_prompt: { prompt: 'x', depth: 4 }, world: 'Engine' }, group_only_greetings: ['Hello, all.'], source: ['https://example.org'] },
    eliza: { adjectives: ['precise'], postExamples: ['Numbers!'], style: { post: ['formal'] }, plugins: ['@elizaos/plugin-sql'] },
  },
  lorebook: {
    name: 'Engine lore',
    scanDepth: 6,
    tokenBudget: 300,
    extras: { recursive_scanning: true },
    entries: [
      { keys: ['engine', 'Engine'], content: 'The Analytical Engine was never finished.', insertionOrder: 5, name: 'Engine', extras: { position: 'after_char', depth: 2 } },
      { keys: ['Babbage'], secondaryKeys: ['friend'], caseSensitive: true, content: 'Babbage was her friend.', enabled: false },
      { keys: ['^\\d+$'], useRegex: true, constant: true, content: 'Numbers delight her.', insertionOrder: -1 },
    ],
  },
  attachedLorebooks: [{ id: '6f1d3c52-8a3e-4c4e-9d59-0c1f4d2b7a10', name: 'World', scanDepth: 4, tokenBudget: 512, entries: [{ keys: ['london'], content: 'London, 1843.' }] }],
});

const sparsePersona: PersonaDefinition = personaDefinitionSchema.parse({ name: 'Blank', defaultModel: 'qwen2.5-0.5b' });
const avatar = buildPngWithTextChunks([]);

describe('exportPersona → importCharacter round trip', () => {
  for (const format of EXPORT_FORMATS) {
    it(`gives back the same definition and avatar through ${format}`, async () => {
      for (const definition of [fullPersona, sparsePersona]) {
        for (const picture of [avatar, undefined]) {
          const exported = exportPersona(definition, format, picture);
          const imported = await importCharacter(exported.content, exported.fileName);
          expect(personaDefinitionSchema.parse(imported.persona)).toEqual(definition);
          expect(imported.report.dropped).toEqual([]);
          expect(imported.report.warnings).toEqual([]);
          if (!picture) expect(imported.avatar).toBeUndefined();
          else if (format === 'ccv3-png') expect(readPngText(imported.avatar!)).toHaveProperty('ccv3'); // the card PNG is the picture
          else expect(imported.avatar).toEqual(picture);
        }
      }
    });
  }

  it('gives a real file back unchanged in meaning: its metadata, kept fields and book', async () => {
    for (const file of [cardV2, elizaV01]) {
      const first = await importCharacter(Buffer.from(JSON.stringify(file)));
      const definition = personaDefinitionSchema.parse({ ...first.persona, defaultModel: 'synthetic' });
      for (const format of EXPORT_FORMATS) {
        const again = await importCharacter(exportPersona(definition, format).content);
        expect(personaDefinitionSchema.parse(again.persona), format).toEqual(definition);
      }
    }
  });

  it('writes Eliza v1 JSON with its kept fields, a V3 card with its metadata, and a PNG with chara and ccv3 chunks', () => {
    const eliza = JSON.parse(exportPersona(fullPersona, 'eliza', avatar).content.toString('utf8'));
    expect(eliza).toMatchObject({
      name: 'Ada Lovelace',
      bio: [fullPersona.description],
      system: fullPersona.systemPrompt,
      topics: fullPersona.tags,
      adjectives: ['precise'],
      postExamples: ['Numbers!'],
      style: { post: ['formal'], all: [fullPersona.personality] },
      settings: { avatar: `data:image/png;base64,${avatar.toString('base64')}` },
    });
    expect(eliza.messageExamples[0][1]).toEqual({ name: 'Ada Lovelace', content: { text: fullPersona.exampleDialogues[0]!.persona } });

    const card = JSON.parse(exportPersona(fullPersona, 'ccv3').content.toString('utf8'));
    expect(card).toMatchObject({
      spec: 'chara_card_v3',
      spec_version: '3.0',
      data: {
        first_mes: fullPersona.greeting,
        creator: 'Charles',
        creator_notes: 'Best with a sampler at 0.5.',
        character_version: '2.1',
        nickname: 'Enchantress of Numbers',
        group_only_greetings: ['Hello, all.'],
        source: ['https://example.org'],
        extensions: { world: 'Engine', depth_prompt: { prompt: 'x', depth: 4 } },
        character_book: { name: 'Engine lore', recursive_scanning: true, entries: [expect.objectContaining({ comment: 'Engine', position: 'after_char', depth: 2 }), expect.anything(), expect.anything()] },
      },
    });

    const png = exportPersona(fullPersona, 'ccv3-png', avatar);
    expect(png).toMatchObject({ mediaType: 'image/png', fileName: 'ada-lovelace.png' });
    const chunks = readPngText(png.content); // also checks every CRC and decodes the image
    expect(JSON.parse(Buffer.from(chunks.ccv3!, 'base64').toString('utf8')).data).toMatchObject({ ...card.data, assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }] });
    expect(JSON.parse(Buffer.from(chunks.chara!, 'base64').toString('utf8'))).toMatchObject({ spec: 'chara_card_v2', data: { name: 'Ada Lovelace', creator: 'Charles' } });
  });
});

describe('exportLorebook', () => {
  it('writes SillyTavern World Info that imports back to the same book', async () => {
    const book = { ...fullPersona.lorebook!, name: 'Engine lore' };
    const exported = exportLorebook(book);
    const worldInfo = JSON.parse(exported.content.toString('utf8'));
    expect(worldInfo.entries['0']).toMatchObject({ uid: 0, key: ['engine', 'Engine'], comment: 'Engine', order: 5, disable: false, position: 'after_char' });
    expect(worldInfo.entries['2']).toMatchObject({ key: ['/^\\d+$/i'], constant: true });
    const again = await importFile(exported.content, { fileName: exported.fileName });
    expect(again.kind === 'lorebook' && again.lorebook).toEqual(book);
  });
});
