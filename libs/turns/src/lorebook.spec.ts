import { describe, expect, it } from 'vitest';
import { lorebookSchema, personaDefinitionSchema } from '@doppel/personas';
import { countApproximateTokens } from '@doppel/inference';
import { REGEX_SCAN_BUDGET_MS, triggeredLoreEntries } from './lorebook';
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

  it('places entries of attached lorebooks after the persona’s own, each within its own budget, and reports what did not fit', () => {
    const persona = personaDefinitionSchema.parse({
      name: 'Ada',
      defaultModel: 'synthetic',
      lorebook: { tokenBudget: 100, entries: [{ keys: ['lighthouse'], content: 'The lighthouse has 212 steps.' }] },
      attachedLorebooks: [
        {
          id: '00000000-0000-4000-8000-000000000001',
          name: 'World',
          tokenBudget: 16,
          entries: [
            { keys: ['lighthouse'], content: 'Lighthouses guard the coast.', name: 'Coast' },
            { keys: ['lighthouse'], content: 'Every keeper writes a log of the weather, the ships and the lamp, every single night.' },
          ],
        },
      ],
    });
    const assembled = assemblePrompt({ persona, memories: [], history: [], userText: 'the lighthouse?', tokenBudget: 2048, countTokens: countApproximateTokens });
    const system = assembled.prompt.messages[0]!.content;
    expect(system.indexOf('The lighthouse has 212 steps.')).toBeLessThan(system.indexOf('Lighthouses guard the coast.'));
    expect(assembled.loreEntries).toEqual([0]);
    expect(assembled.attachedLoreEntries).toEqual([{ lorebookId: '00000000-0000-4000-8000-000000000001', index: 0 }]);
    expect(assembled.leftOut).toEqual([{ part: 'lorebook "World" entry 2', tokens: expect.any(Number), reason: "over the book's budget of 16 tokens" }]);
  });
});

describe('regex keys a creator can abuse', () => {
  const entry = (keys: string[], extra: object = {}) => ({ keys, secondaryKeys: [], content: 'lore', caseSensitive: false, useRegex: true, insertionOrder: 0, enabled: true, constant: false, ...extra });
  // CPU time, not wall time: a loaded machine may deschedule the test, which says nothing about the matcher.
  const timed = <T>(run: () => T): { result: T; ms: number } => {
    const started = process.cpuUsage();
    const result = run();
    const used = process.cpuUsage(started);
    return { result, ms: (used.user + used.system) / 1000 };
  };

  it('matches a catastrophic-backtracking key in linear time', () => {
    // JavaScript's RegExp needs ~2^40 steps for this; RE2 semantics need one pass.
    const book = lorebookSchema.parse({ entries: [entry(['(a+)+$']), entry(['(x+x+)+y'])] });
    const { result, ms } = timed(() => triggeredLoreEntries(book, [`${'a'.repeat(40)}!`, 'x'.repeat(4000)]));
    expect(result).toEqual([]);
    // A backtracking engine would take hours here; any bound shows the linear one (a loose one: the machine is shared).
    expect(ms).toBeLessThan(2_000);
    expect(triggeredLoreEntries(book, ['aaaa'])).toHaveLength(1);
  });

  it('stops testing regex keys once the scan has spent its budget, whatever the lorebook holds', () => {
    // A clock that advances 1 ms each time it is read: the scan's budget, not the machine's speed, decides.
    let clock = 0;
    const now = () => clock++;
    const book = { scanDepth: 4, tokenBudget: 100_000, entries: Array.from({ length: 200 }, (_, index) => entry([`a{${1 + (index % 3)}}`])) };
    const fired = triggeredLoreEntries(book, ['aaaa'], REGEX_SCAN_BUDGET_MS, now);
    // Every key matches, so without the budget all 200 would fire; each test reads the clock three times.
    expect(fired.length).toBeGreaterThan(0);
    expect(fired.length).toBeLessThanOrEqual(Math.ceil(REGEX_SCAN_BUDGET_MS / 3) + 1);
    expect(fired.map(({ index }) => index)).toEqual(fired.map((_, position) => position));
    // Plain keys are not regex work and are never cut by the budget.
    const plain = { scanDepth: 4, tokenBudget: 100_000, entries: Array.from({ length: 200 }, () => ({ ...entry(['aa']), useRegex: false })) };
    expect(triggeredLoreEntries(plain, ['aaaa'], REGEX_SCAN_BUDGET_MS, now)).toHaveLength(200);
  });

  it('never matches a stored key that does not compile under RE2 (saved before keys were checked)', () => {
    const stored = { scanDepth: 4, tokenBudget: 512, entries: [entry(['(a)\\1']), entry(['(?=a)a']), entry(['[a-z]+'])] };
    expect(triggeredLoreEntries(stored, ['aa']).map(({ index }) => index)).toEqual([2]);
  });

  it('honours case sensitivity with the RE2 engine', () => {
    const book = lorebookSchema.parse({ entries: [entry(['Mary\\s+Rose'], { caseSensitive: true }), entry(['storm'])] });
    expect(triggeredLoreEntries(book, ['the MARY rose in a STORM']).map(({ index }) => index)).toEqual([1]);
    expect(triggeredLoreEntries(book, ['the Mary  Rose']).map(({ index }) => index)).toEqual([0]);
  });
});
