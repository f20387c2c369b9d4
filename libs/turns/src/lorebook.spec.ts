import { describe, expect, it } from 'vitest';
import { lorebookSchema, personaDefinitionSchema } from '@doppel/personas';
import { countApproximateTokens } from '@doppel/inference';
import { triggeredLoreEntries } from './lorebook';
import { assemblePrompt, LORE_HEADER } from './prompt-assembler';

const lorebook = lorebookSchema.parse({
  scanDepth: 2,
  tokenBudget: 64,
  entries: [
    { keys: ['lighthouse'], content: 'The lighthouse has 212 steps.', insertionOrder: 20 },
    { keys: ['Margot'], caseSensitive: true, content: 'Margot is Ada’s sister.', insertionOrder: 10 },
    { keys: ['storm'], secondaryKeys: ['boat', 'ship'], content: 'The 1987 storm sank the Mary Rose.' },
    { keys: ['^\\d{4}$'], useRegex: true, content: 'Years are counted from the founding.' },
    { keys: ['never'], enabled: false, content: 'Disabled entry.' },
    { keys: ['unused'], constant: true, content: 'Ada lives on Lewis.', insertionOrder: 0 },
  ],
});

const contents = (messages: string[]) => triggeredLoreEntries(lorebook, messages).map(({ entry }) => entry.content);

describe('lorebook triggering', () => {
  it('adds an entry exactly when its key is in the scanned window, constants always, in insertion order', () => {
    expect(contents(['hello'])).toEqual(['Ada lives on Lewis.']);
    expect(contents(['tell me about the Lighthouse'])).toEqual(['Ada lives on Lewis.', 'The lighthouse has 212 steps.']);
    // Three messages ago is outside scanDepth 2.
    expect(contents(['the lighthouse!', 'ok', 'and then?'])).toEqual(['Ada lives on Lewis.']);
    expect(contents(['the lighthouse!', 'and Margot?'])).toEqual(['Ada lives on Lewis.', 'Margot is Ada’s sister.', 'The lighthouse has 212 steps.']);
  });

  it('honours case sensitivity, secondary keys, regex keys and disabled entries', () => {
    expect(contents(['what about margot'])).not.toContain('Margot is Ada’s sister.');
    expect(contents(['a storm came'])).not.toContain('The 1987 storm sank the Mary Rose.');
    expect(contents(['a storm hit the boat'])).toContain('The 1987 storm sank the Mary Rose.');
    expect(contents(['1987'])).toContain('Years are counted from the founding.');
    expect(contents(['in 19870'])).not.toContain('Years are counted from the founding.');
    expect(contents(['never ever'])).not.toContain('Disabled entry.');
  });

  it('places triggered entries in the system prompt within the lorebook budget', () => {
    const persona = personaDefinitionSchema.parse({
      name: 'Ada',
      defaultModel: 'synthetic',
      lorebook: { ...lorebook, tokenBudget: 20 },
    });
    const assembled = assemblePrompt({
      persona,
      memories: [],
      history: [{ role: 'user', content: 'about the lighthouse' }],
      userText: 'and Margot?',
      tokenBudget: 2048,
      countTokens: countApproximateTokens,
    });
    const system = assembled.prompt.messages[0]!.content;
    expect(system).toContain(LORE_HEADER);
    expect(system).toContain('Ada lives on Lewis.');
    expect(system).toContain('Margot is Ada’s sister.');
    // The third triggered entry does not fit in 20 tokens with the header and the first two.
    expect(system).not.toContain('The lighthouse has 212 steps.');
    expect(assembled.loreEntries).toEqual([5, 1]);

    const without = assemblePrompt({ persona: { ...persona, lorebook: undefined }, memories: [], history: [], userText: 'lighthouse', tokenBudget: 2048, countTokens: countApproximateTokens });
    expect(without.prompt.messages[0]!.content).not.toContain(LORE_HEADER);
  });
});
