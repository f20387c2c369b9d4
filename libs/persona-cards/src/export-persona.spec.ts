import { describe, expect, it } from 'vitest';
import { personaDefinitionSchema, type PersonaDefinition } from '@doppel/personas';
import { EXPORT_FORMATS, exportPersona } from './export-persona';
import { importCharacter } from './import-character';
import { readPngTextChunks } from './png-text-chunks';

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
  tags: ['history', 'science fiction', 'math_2'],
  defaultModel: 'synthetic',
  generation: { maxTokens: 300, temperature: 0.5, topP: 0.9, topK: 20, repetitionPenalty: 1.2, stop: ['\nUser:'] },
  minVerification: 'signed',
  lorebook: {
    scanDepth: 6,
    tokenBudget: 300,
    entries: [
      { keys: ['engine', 'Engine'], content: 'The Analytical Engine was never finished.', insertionOrder: 5 },
      { keys: ['Babbage'], secondaryKeys: ['friend'], caseSensitive: true, content: 'Babbage was her friend.', enabled: false },
      { keys: ['^\\d+$'], useRegex: true, constant: true, content: 'Numbers delight her.', insertionOrder: -1 },
    ],
  },
});

const sparsePersona: PersonaDefinition = personaDefinitionSchema.parse({ name: 'Blank', defaultModel: 'qwen2.5-0.5b' });

describe('exportPersona → importCharacter round trip', () => {
  for (const format of EXPORT_FORMATS) {
    it(`gives back the same definition through ${format}`, () => {
      for (const definition of [fullPersona, sparsePersona]) {
        const exported = exportPersona(definition, format);
        const imported = importCharacter(exported.content, exported.fileName);
        expect(personaDefinitionSchema.parse(imported.persona)).toEqual(definition);
        expect(imported.report.dropped).toEqual([]);
        expect(imported.report.warnings).toEqual([]);
      }
    });
  }

  it('writes Eliza v1 JSON, a V3 card, and a valid PNG whose ccv3 chunk holds the card', () => {
    const eliza = JSON.parse(exportPersona(fullPersona, 'eliza').content.toString('utf8'));
    expect(eliza).toMatchObject({ name: 'Ada Lovelace', bio: [fullPersona.description], system: fullPersona.systemPrompt, topics: fullPersona.tags });
    expect(eliza.messageExamples[0][1]).toEqual({ name: 'Ada Lovelace', content: { text: fullPersona.exampleDialogues[0]!.persona } });
    expect(importCharacter(exportPersona(fullPersona, 'eliza').content).report.format).toBe('eliza-v1');

    const card = JSON.parse(exportPersona(fullPersona, 'ccv3').content.toString('utf8'));
    expect(card).toMatchObject({ spec: 'chara_card_v3', spec_version: '3.0', data: { first_mes: fullPersona.greeting, system_prompt: fullPersona.systemPrompt } });

    const png = exportPersona(fullPersona, 'ccv3-png');
    expect(png).toMatchObject({ mediaType: 'image/png', fileName: 'ada-lovelace.png' });
    const [chunk] = readPngTextChunks(png.content); // also checks every CRC
    expect(chunk!.keyword).toBe('ccv3');
    expect(JSON.parse(Buffer.from(chunk!.text, 'base64').toString('utf8'))).toEqual(card);
  });
});
