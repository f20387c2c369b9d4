import type { KnowledgeHit } from '@doppel/knowledge';
import type { MemoryHit } from '@doppel/memory';
import type { PersonaDefinition } from '@doppel/personas';
import { describe, expect, it } from 'vitest';
import { assemblePrompt, KNOWLEDGE_HEADER, MEMORY_HEADER, type PromptInputs, type PromptMemory } from './prompt-assembler';

/** Whitespace-separated words: a token measure simple enough to work budgets out by hand. */
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

const persona: PersonaDefinition = {
  name: 'Ada',
  description: 'A mathematician from Victorian London.',
  personality: 'Precise, curious, fond of engines.',
  systemPrompt: '',
  greeting: 'Good day.',
  exampleDialogues: [{ user: 'What do you work on?', persona: 'The Analytical Engine, chiefly.' }],
  tags: ['history'],
  defaultModel: 'synthetic',
  generation: { maxTokens: 256, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [] },
  minVerification: 'none',
};

function memory(id: string, content: string, kind: MemoryHit['kind'] = 'user_message', distance = 0.1): PromptMemory {
  return { id, kind, content, contentHash: `hash-${id}`, distance, createdAt: new Date(0) };
}

function chunk(id: string, content: string, distance: number, documentTitle = 'Engines'): KnowledgeHit {
  return { id, documentId: `doc-${documentTitle}`, documentTitle, content, contentHash: `hash-${id}`, distance };
}

const pin = (hit: PromptMemory): PromptMemory => ({ ...hit, pinned: true, distance: 0 });

const memories = [
  memory('m1', 'I keep bees in the garden.'),
  memory('m2', 'You told me about the engine.', 'assistant_reply'),
  memory('m3', 'My sister lives in Bath.'),
];

const history: PromptInputs['history'] = [
  { role: 'user', content: 'first question from long ago' },
  { role: 'assistant', content: 'first answer' },
  { role: 'user', content: 'second question' },
  { role: 'assistant', content: 'second answer, the latest' },
];

function inputs(overrides: Partial<PromptInputs> = {}): PromptInputs {
  return { persona, memories, history, userText: 'How are the bees?', tokenBudget: 10_000, countTokens: countWords, ...overrides };
}

/** Cost of the whole persona core plus the user message: the budget that admits nothing else. */
const baseCost = () => assemblePrompt(inputs({ tokenBudget: 10_000, memories: [], history: [] })).promptTokens;
const memoryLineCost = (hit: MemoryHit) => countWords(`- They said: ${hit.content}`);
const chunkCost = (hit: KnowledgeHit) => countWords(`[${hit.documentTitle}]\n${hit.content}`);
const system = (assembled: { prompt: { messages: { content: string }[] } }) => assembled.prompt.messages[0]!.content;

describe('assemblePrompt', () => {
  it('puts the persona name, description, personality and examples in the system message', () => {
    const { prompt } = assemblePrompt(inputs({ memories: [], history: [] }));
    const [system, user] = prompt.messages;
    expect(prompt.messages).toHaveLength(2);
    expect(system!.role).toBe('system');
    expect(system!.content).toContain('You are Ada.');
    expect(system!.content).toContain(persona.description);
    expect(system!.content).toContain(persona.personality);
    expect(system!.content).toContain('User: What do you work on?');
    expect(system!.content).toContain('Ada: The Analytical Engine, chiefly.');
    expect(system!.content).not.toContain(MEMORY_HEADER);
    expect(user).toEqual({ role: 'user', content: 'How are the bees?' });
  });

  it("uses the persona's own system prompt when it has one", () => {
    const custom = { ...persona, systemPrompt: '  You are Ada Lovelace, Countess of Lovelace.  ' };
    const system = assemblePrompt(inputs({ persona: custom })).prompt.messages[0]!.content;
    expect(system.startsWith('You are Ada Lovelace, Countess of Lovelace.')).toBe(true);
    expect(system).not.toContain('Stay in character.');
    expect(system).toContain(persona.description);
  });

  it('lists every memory in the system message, in the given order, and reports their ids', () => {
    const { prompt, memoryIds } = assemblePrompt(inputs());
    const system = prompt.messages[0]!.content;
    expect(memoryIds).toEqual(['m1', 'm2', 'm3']);
    expect(system).toContain(MEMORY_HEADER);
    const positions = memories.map((hit) => system.indexOf(hit.content));
    expect(positions.every((position) => position > system.indexOf(MEMORY_HEADER))).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(system).toContain('- They said: I keep bees in the garden.');
    expect(system).toContain('- You said: You told me about the engine.');
  });

  it('keeps history roles and order, between the system message and the user message', () => {
    const assembled = assemblePrompt(inputs());
    expect(assembled.historyMessages).toBe(history.length);
    expect(assembled.prompt.messages.slice(1, -1)).toEqual(history);
    expect(assembled.prompt.messages.at(-1)).toEqual({ role: 'user', content: 'How are the bees?' });
  });

  it('counts exactly the tokens of what it included', () => {
    for (const tokenBudget of [0, 20, 60, 80, 10_000]) {
      const assembled = assemblePrompt(inputs({ tokenBudget }));
      const counted = assembled.prompt.messages.reduce((sum, message) => sum + countWords(message.content), 0);
      expect(assembled.promptTokens).toBe(counted);
    }
  });

  it('cuts memories from the least relevant end when the budget is tight, and drops history before memories', () => {
    const budget = baseCost() + countWords(MEMORY_HEADER) + memoryLineCost(memories[0]!) + memoryLineCost(memories[1]!);
    const assembled = assemblePrompt(inputs({ tokenBudget: budget }));
    expect(assembled.memoryIds).toEqual(['m1', 'm2']);
    const system = assembled.prompt.messages[0]!.content;
    expect(system).toContain(memories[1]!.content);
    expect(system).not.toContain(memories[2]!.content);
    expect(assembled.historyMessages).toBe(0);
    expect(assembled.prompt.messages).toHaveLength(2);
    expect(assembled.promptTokens).toBeLessThanOrEqual(budget);
  });

  it('drops the oldest history first', () => {
    const memoriesCost = countWords(MEMORY_HEADER) + memories.reduce((sum, hit) => sum + memoryLineCost(hit), 0);
    const newestTwo = history.slice(-2);
    const budget = baseCost() + memoriesCost + newestTwo.reduce((sum, message) => sum + countWords(message.content), 0);
    const assembled = assemblePrompt(inputs({ tokenBudget: budget }));
    expect(assembled.memoryIds).toEqual(['m1', 'm2', 'm3']);
    expect(assembled.historyMessages).toBe(2);
    expect(assembled.prompt.messages.slice(1, -1)).toEqual(newestTwo);
    expect(assembled.prompt.messages.at(-1)!.content).toBe('How are the bees?');
  });

  it('never exceeds a budget that fits the persona core and the user message', () => {
    for (let tokenBudget = baseCost(); tokenBudget <= baseCost() + 80; tokenBudget++) {
      const assembled = assemblePrompt(inputs({ tokenBudget }));
      expect(assembled.promptTokens).toBeLessThanOrEqual(tokenBudget);
      expect(memories.slice(0, assembled.memoryIds.length).map((hit) => hit.id)).toEqual(assembled.memoryIds);
      expect(assembled.prompt.messages.slice(1, -1)).toEqual(history.slice(history.length - assembled.historyMessages));
    }
  });

  it('cuts persona text that does not fit from the end, whole example exchanges first, and says what it left out', () => {
    const long = { ...persona, description: `${'word '.repeat(300)}end`, exampleDialogues: [persona.exampleDialogues[0]!, { user: 'More?', persona: 'Always more.' }] };
    const assembled = assemblePrompt(inputs({ persona: long, memories: [], history: [], tokenBudget: 120 }));
    expect(assembled.promptTokens).toBeLessThanOrEqual(120);
    const text = system(assembled);
    expect(text).toContain('You are Ada. Stay in character.');
    expect(text).toMatch(/About you: (word )+word \[…\]/);
    expect(text).not.toContain('Personality and style');
    expect(text).not.toContain('Example exchanges');
    expect(assembled.leftOut.map((left) => left.part)).toEqual(['description', 'personality', 'exampleDialogues']);
    expect(assembled.leftOut[0]).toMatchObject({ reason: 'cut short: over the prompt budget', tokens: expect.any(Number) });
    expect(assembled.leftOut[2]!.reason).toBe('2 of 2 exchanges over the prompt budget');
    const roomy = assemblePrompt(inputs({ persona: long, memories: [], history: [] }));
    expect(roomy.leftOut).toEqual([]);
    expect(system(roomy)).toContain('word end');
  });

  it('always keeps the user message last, even when the budget cannot hold it', () => {
    const assembled = assemblePrompt(inputs({ tokenBudget: 1 }));
    expect(assembled.memoryIds).toEqual([]);
    expect(assembled.historyMessages).toBe(0);
    expect(assembled.prompt.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(assembled.prompt.messages.at(-1)!.content).toBe('How are the bees?');
  });
});

describe('assemblePrompt with knowledge', () => {
  const relevant = chunk('k1', 'The mill performs the arithmetic; the store holds the numbers.', 0.2);
  const unrelated = chunk('k2', 'Recipes for a Victorian plum pudding.', 0.9, 'Cookery');
  const knowledge = (hits: KnowledgeHit[], maxDistance = 0.5) => ({ hits, maxDistance });

  it('places a chunk within the relevance limit under the knowledge header, with its document title, and reports its id', () => {
    const assembled = assemblePrompt(inputs({ memories: [], knowledge: knowledge([relevant, unrelated]) }));
    expect(assembled.knowledgeIds).toEqual(['k1']);
    expect(system(assembled)).toContain(`${KNOWLEDGE_HEADER}\n[Engines]\n${relevant.content}`);
  });

  it('leaves out a chunk farther than the relevance limit, and the header with it', () => {
    const assembled = assemblePrompt(inputs({ memories: [], knowledge: knowledge([unrelated]) }));
    expect(assembled.knowledgeIds).toEqual([]);
    expect(system(assembled)).not.toContain(unrelated.content);
    expect(system(assembled)).not.toContain(KNOWLEDGE_HEADER);
    // The same chunk enters once the limit admits it.
    expect(assemblePrompt(inputs({ memories: [], knowledge: knowledge([unrelated], 0.9) })).knowledgeIds).toEqual(['k2']);
  });

  it('has no knowledge section without knowledge', () => {
    const assembled = assemblePrompt(inputs());
    expect(assembled.knowledgeIds).toEqual([]);
    expect(system(assembled)).not.toContain(KNOWLEDGE_HEADER);
  });

  it('mixes memories and chunks by distance, cutting the least relevant of both when the budget is tight', () => {
    const near = memory('m-near', 'My engine notes are in the blue book.', 'user_message', 0.1);
    const far = memory('m-far', 'I once visited Bath.', 'user_message', 0.45);
    const k1 = chunk('k-near', 'Cards drive the engine.', 0.15);
    const k2 = chunk('k-far', 'The engine was never completed.', 0.4);
    const fitTwo = baseCost() + countWords(MEMORY_HEADER) + memoryLineCost(near) + countWords(KNOWLEDGE_HEADER) + chunkCost(k1);
    const tight = assemblePrompt(inputs({ memories: [near, far], knowledge: knowledge([k2, k1]), tokenBudget: fitTwo }));
    expect(tight.memoryIds).toEqual(['m-near']);
    expect(tight.knowledgeIds).toEqual(['k-near']);
    expect(tight.historyMessages).toBe(0);
    expect(tight.promptTokens).toBe(fitTwo);

    const roomy = assemblePrompt(inputs({ memories: [near, far], knowledge: knowledge([k2, k1]) }));
    expect(roomy.memoryIds).toEqual(['m-near', 'm-far']);
    expect(roomy.knowledgeIds).toEqual(['k-near', 'k-far']);
    expect(roomy.historyMessages).toBe(history.length);
  });

  it('lets a closer chunk take the place of a less relevant memory', () => {
    const memoryHit = memory('m', 'I like engines too.', 'user_message', 0.3);
    const chunkHit = chunk('k', 'Engines compute tables.', 0.1);
    const budget = baseCost() + countWords(KNOWLEDGE_HEADER) + chunkCost(chunkHit);
    const assembled = assemblePrompt(inputs({ memories: [memoryHit], knowledge: knowledge([chunkHit]), tokenBudget: budget }));
    expect(assembled.knowledgeIds).toEqual(['k']);
    expect(assembled.memoryIds).toEqual([]);
  });

  it('counts exactly the tokens of what it included, and never exceeds the budget', () => {
    const hits = [relevant, chunk('k3', 'Bernoulli numbers by the engine, step by step.', 0.3), unrelated];
    for (let tokenBudget = baseCost(); tokenBudget <= baseCost() + 120; tokenBudget += 3) {
      const assembled = assemblePrompt(inputs({ knowledge: knowledge(hits), tokenBudget }));
      const counted = assembled.prompt.messages.reduce((sum, message) => sum + countWords(message.content), 0);
      expect(assembled.promptTokens).toBe(counted);
      expect(assembled.promptTokens).toBeLessThanOrEqual(tokenBudget);
    }
  });
});

describe('assemblePrompt with pinned memories', () => {
  const pinned = pin(memory('p1', 'Call me Captain.'));
  const nearChunk = chunk('k1', 'Cards drive the engine.', 0.05);

  it('puts pinned memories first in the memory section, before the relevant ones', () => {
    const assembled = assemblePrompt(inputs({ memories: [...memories, pinned] }));
    expect(assembled.memoryIds).toEqual(['p1', 'm1', 'm2', 'm3']);
    const text = system(assembled);
    expect(text.indexOf(pinned.content)).toBeGreaterThan(text.indexOf(MEMORY_HEADER));
    expect(text.indexOf(pinned.content)).toBeLessThan(text.indexOf(memories[0]!.content));
  });

  it('keeps a pinned memory over closer memories, knowledge and history when the budget holds only it', () => {
    const budget = baseCost() + countWords(MEMORY_HEADER) + memoryLineCost(pinned);
    const assembled = assemblePrompt(inputs({ memories: [...memories, pinned], knowledge: { hits: [nearChunk], maxDistance: 1 }, tokenBudget: budget }));
    expect(assembled.memoryIds).toEqual(['p1']);
    expect(assembled.knowledgeIds).toEqual([]);
    expect(assembled.historyMessages).toBe(0);
    expect(system(assembled)).toContain('- They said: Call me Captain.');
  });

  it('drops only a pinned memory that does not fit on its own, and still places shorter ones', () => {
    const long = pin(memory('p-long', 'word '.repeat(200).trim()));
    const budget = baseCost() + countWords(MEMORY_HEADER) + memoryLineCost(pinned);
    const assembled = assemblePrompt(inputs({ memories: [long, pinned], tokenBudget: budget }));
    expect(assembled.memoryIds).toEqual(['p1']);
    expect(assembled.promptTokens).toBeLessThanOrEqual(budget);
  });

  it('places a pinned memory once even when the search found it too', () => {
    const assembled = assemblePrompt(inputs({ memories: [pinned, { ...pinned, distance: 0.2 }, ...memories] }));
    expect(assembled.memoryIds.filter((id) => id === 'p1')).toHaveLength(1);
    expect(system(assembled).split('Call me Captain.')).toHaveLength(2);
  });
});


describe('assemblePrompt with card fields', () => {
  const card: PersonaDefinition = {
    ...persona,
    systemPrompt: 'You are {{char}}, talking with {{user}}.',
    scenario: '{{user}} visits {{char}} at the lighthouse.',
    postHistoryInstructions: 'Answer {{user}} in one sentence.',
    lorebook: { scanDepth: 2, tokenBudget: 100, entries: [{ keys: ['bees'], secondaryKeys: [], content: '{{char}} keeps no bees.', caseSensitive: false, useRegex: false, insertionOrder: 1, enabled: true, constant: false }] },
  };

  it('fills {{char}} and {{user}} in the system prompt, scenario, lorebook and post-history instructions', () => {
    const assembled = assemblePrompt(inputs({ persona: card, userName: 'Grace' }));
    expect(system(assembled)).toContain('You are Ada, talking with Grace.');
    expect(system(assembled)).toContain('Scenario: Grace visits Ada at the lighthouse.');
    expect(system(assembled)).toContain('Ada keeps no bees.');
    expect(JSON.stringify(assembled.prompt)).not.toMatch(/\{\{(char|user)\}\}/);
  });

  it('puts post-history instructions after the history, just before the new message, and counts them', () => {
    const assembled = assemblePrompt(inputs({ persona: card, userName: 'Grace' }));
    const messages = assembled.prompt.messages;
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'How are the bees?' });
    expect(messages.at(-2)).toEqual({ role: 'system', content: 'Answer Grace in one sentence.' });
    expect(messages.at(-3)).toEqual(history.at(-1));
    const without = assemblePrompt(inputs({ persona: { ...card, postHistoryInstructions: undefined }, userName: 'Grace' }));
    expect(assembled.promptTokens - without.promptTokens).toBe(countWords('Answer Grace in one sentence.'));
    expect(without.prompt.messages.filter((message) => message.role === 'system')).toHaveLength(1);
  });

  it('labels remembered facts as facts about the user', () => {
    const assembled = assemblePrompt(inputs({ memories: [memory('f1', 'Their name is Grace.', 'fact')] }));
    expect(system(assembled)).toContain('- About them: Their name is Grace.');
  });
});
