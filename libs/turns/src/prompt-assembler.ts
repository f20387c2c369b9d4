// Builds the model input for one turn from the persona, its triggered lorebook entries, the consumer's memories, the
// persona's knowledge and recent history, within a token budget. Priority when the budget is tight: persona core and
// the user's message, then pinned memories, then lorebook entries (insertion order, within the lorebook's own
// budget), then memories and knowledge chunks together, most relevant (smallest distance) first, then history (most
// recent first). Pure: easy to test, and the exact output is stored on the turn.
import type { ChatMessage, ChatPrompt } from '@doppel/inference';
import type { KnowledgeHit } from '@doppel/knowledge';
import type { MemoryHit } from '@doppel/memory';
import { fillPlaceholders, type PersonaDefinition, type PlaceholderNames } from '@doppel/personas';
import { triggeredLoreEntries } from './lorebook';

/** A retrieved memory; a pinned one enters every prompt the budget allows, whatever its distance. */
export type PromptMemory = MemoryHit & { pinned?: boolean };

export interface PromptInputs {
  persona: PersonaDefinition;
  /** Pinned memories and the nearest ones, the latter most relevant first. */
  memories: readonly PromptMemory[];
  /** The persona's nearest knowledge chunks; those farther than maxDistance are unrelated to the message and left out. */
  knowledge?: { hits: readonly KnowledgeHit[]; maxDistance: number };
  /** Oldest first, not including the current user message. */
  history: readonly { role: 'user' | 'assistant'; content: string }[];
  userText: string;
  /** What {{user}} becomes in the persona's text (the consumer's display name). */
  userName?: string;
  tokenBudget: number;
  countTokens: (text: string) => number;
}

export interface AssembledPrompt {
  prompt: ChatPrompt;
  promptTokens: number;
  /** Pinned first, then by relevance. */
  memoryIds: string[];
  /** Ids of the knowledge chunks placed in the prompt, most relevant first. */
  knowledgeIds: string[];
  historyMessages: number;
  /** Indexes (in the persona's lorebook) of the entries placed in the prompt. */
  loreEntries: number[];
  /** Entries of attached lorebooks placed in the prompt. */
  attachedLoreEntries: { lorebookId: string; index: number }[];
  /** Persona text and triggered lorebook entries the budget had no room for (the preview shows them). */
  leftOut: LeftOut[];
}

export interface LeftOut {
  /** What was left out: a persona field (`description`, `exampleDialogues`…) or a lorebook entry. */
  part: string;
  /** Tokens of it that are not in the prompt. */
  tokens: number;
  reason: string;
}

export const MEMORY_HEADER = 'What you remember from earlier conversations with this user (most relevant first):';
export const LORE_HEADER = 'Things that are true in your world:';
export const KNOWLEDGE_HEADER = 'From your reference documents (most relevant first):';

/** Lines under one header; the header costs tokens only once something is under it. */
class PromptSection {
  readonly lines: string[] = [];

  constructor(
    private readonly header: string,
    private readonly separator: string,
  ) {}

  costOf(line: string, countTokens: (text: string) => number): number {
    return countTokens(line) + (this.lines.length === 0 ? countTokens(this.header) : 0);
  }

  render(): string | null {
    return this.lines.length === 0 ? null : `${this.header}\n${this.lines.join(this.separator)}`;
  }
}

export function assemblePrompt(inputs: PromptInputs): AssembledPrompt {
  const { persona, countTokens } = inputs;
  const names: PlaceholderNames = { char: persona.name, user: inputs.userName ?? 'User' };
  // Card-style "post-history instructions": a system note between the history and the new message.
  const lastWord = persona.postHistoryInstructions?.trim() ? fillPlaceholders(persona.postHistoryInstructions.trim(), names) : null;
  const leftOut: LeftOut[] = [];
  const reserved = countTokens(inputs.userText) + (lastWord ? countTokens(lastWord) : 0);
  const core = fitPersonaCore(persona, names, Math.max(0, inputs.tokenBudget - reserved), countTokens, leftOut);
  let used = countTokens(core) + reserved;
  const fits = (cost: number) => used + cost <= inputs.tokenBudget;

  const memorySection = new PromptSection(MEMORY_HEADER, '\n');
  const memoryIds: string[] = [];
  const pinnedIds = new Set<string>();
  for (const memory of inputs.memories) {
    if (!memory.pinned || pinnedIds.has(memory.id)) continue;
    pinnedIds.add(memory.id);
    const line = memoryLine(memory);
    const cost = memorySection.costOf(line, countTokens);
    // Pinned memories are never dropped for relevance; one that does not fit leaves room for a shorter one.
    if (!fits(cost)) continue;
    used += cost;
    memorySection.lines.push(line);
    memoryIds.push(memory.id);
  }

  const loreSection = new PromptSection(LORE_HEADER, '\n');
  const loreEntries: number[] = [];
  const attachedLoreEntries: AssembledPrompt['attachedLoreEntries'] = [];
  const window = [...inputs.history.map((message) => message.content), inputs.userText];
  // The persona's own book first, then attached books in the order they were attached; each keeps its own budget.
  const books = [
    ...(persona.lorebook ? [{ book: persona.lorebook, label: 'lorebook', placed: (index: number) => loreEntries.push(index) }] : []),
    ...(persona.attachedLorebooks ?? []).map((book) => ({ book, label: `lorebook "${book.name}"`, placed: (index: number) => attachedLoreEntries.push({ lorebookId: book.id, index }) })),
  ];
  for (const { book, label, placed } of books) {
    let loreUsed = 0;
    for (const { index, entry } of triggeredLoreEntries(book, window)) {
      const content = fillPlaceholders(entry.content, names);
      const cost = loreSection.costOf(content, countTokens);
      const overBook = loreUsed + cost > book.tokenBudget;
      if (overBook || !fits(cost)) {
        leftOut.push({ part: `${label} entry ${index + 1}${entry.name ? ` "${entry.name}"` : ''}`, tokens: cost, reason: overBook ? `over the book's budget of ${book.tokenBudget} tokens` : 'over the prompt budget' });
        continue;
      }
      loreUsed += cost;
      used += cost;
      loreSection.lines.push(content);
      placed(index);
    }
  }

  const knowledgeSection = new PromptSection(KNOWLEDGE_HEADER, '\n\n');
  const knowledgeIds: string[] = [];
  for (const candidate of byRelevance(inputs.memories.filter((memory) => !pinnedIds.has(memory.id)), inputs.knowledge)) {
    const [section, line, ids] =
      candidate.source === 'memory' ? [memorySection, memoryLine(candidate.hit), memoryIds] : [knowledgeSection, knowledgeBlock(candidate.hit), knowledgeIds];
    const cost = section.costOf(line, countTokens);
    // Stop at the first that does not fit, so what is in is always the most relevant of what was found.
    if (!fits(cost)) break;
    used += cost;
    section.lines.push(line);
    ids.push(candidate.hit.id);
  }

  const history: ChatMessage[] = [];
  for (let index = inputs.history.length - 1; index >= 0; index--) {
    const message = inputs.history[index]!;
    const cost = countTokens(message.content);
    if (!fits(cost)) break;
    used += cost;
    history.unshift({ role: message.role, content: message.content });
  }

  const system = [core, loreSection.render(), knowledgeSection.render(), memorySection.render()].filter((part): part is string => part !== null).join('\n\n');
  return {
    prompt: {
      messages: [
        { role: 'system', content: system },
        ...history,
        ...(lastWord ? [{ role: 'system' as const, content: lastWord }] : []),
        { role: 'user', content: inputs.userText },
      ],
    },
    promptTokens: used,
    memoryIds,
    knowledgeIds,
    historyMessages: history.length,
    loreEntries,
    attachedLoreEntries,
    leftOut,
  };
}

type Candidate = { source: 'memory'; hit: PromptMemory } | { source: 'knowledge'; hit: KnowledgeHit };

/** Memories and related knowledge chunks in one list, nearest first; ties keep memories first, each in given order. */
function byRelevance(memories: readonly PromptMemory[], knowledge: PromptInputs['knowledge']): Candidate[] {
  const related = (knowledge?.hits ?? []).filter((hit) => hit.distance <= knowledge!.maxDistance);
  const candidates: Candidate[] = [
    ...memories.map((hit) => ({ source: 'memory' as const, hit })),
    ...related.map((hit) => ({ source: 'knowledge' as const, hit })),
  ];
  return candidates.sort((a, b) => a.hit.distance - b.hit.distance);
}

const MEMORY_LABELS: Record<PromptMemory['kind'], string> = { user_message: 'They said', assistant_reply: 'You said', fact: 'About them' };

function memoryLine(memory: PromptMemory): string {
  return `- ${MEMORY_LABELS[memory.kind]}: ${memory.content}`;
}

function knowledgeBlock(hit: KnowledgeHit): string {
  return `[${hit.documentTitle}]\n${hit.content}`;
}

/**
 * The persona's own text, most important first: who it is (system prompt), description, personality, scenario,
 * example exchanges. Creator text may run to tens of thousands of characters; what does not fit the budget is cut
 * from the end (a field cut short, the fields after it, whole example exchanges) and listed in `leftOut`.
 */
function fitPersonaCore(persona: PersonaDefinition, names: PlaceholderNames, budget: number, countTokens: (text: string) => number, leftOut: LeftOut[]): string {
  const fields: { part: string; text: string }[] = [
    { part: 'systemPrompt', text: persona.systemPrompt.trim() || `You are ${persona.name}. Stay in character.` },
    { part: 'description', text: persona.description.trim() ? `About you: ${persona.description.trim()}` : '' },
    { part: 'personality', text: persona.personality.trim() ? `Personality and style: ${persona.personality.trim()}` : '' },
    { part: 'scenario', text: persona.scenario?.trim() ? `Scenario: ${persona.scenario.trim()}` : '' },
  ];
  const sections: string[] = [];
  let remaining = budget;
  for (const { part, text } of fields) {
    if (!text) continue;
    const filled = fillPlaceholders(text, names);
    const cost = countTokens(filled);
    if (cost <= remaining) {
      sections.push(filled);
      remaining -= cost;
      continue;
    }
    const kept = longestPrefixWithin(filled, remaining, countTokens);
    if (kept) sections.push(`${kept} […]`);
    const keptCost = kept ? countTokens(`${kept} […]`) : 0;
    remaining -= keptCost;
    leftOut.push({ part, tokens: cost - keptCost, reason: kept ? 'cut short: over the prompt budget' : 'over the prompt budget' });
  }
  if (persona.exampleDialogues.length > 0) {
    const header = 'Example exchanges:';
    const examples: string[] = [];
    let omitted = 0;
    let cost = countTokens(header);
    for (const dialogue of persona.exampleDialogues) {
      const example = fillPlaceholders(`User: ${dialogue.user}\n${persona.name}: ${dialogue.persona}`, names);
      const exampleCost = countTokens(example);
      if (omitted === 0 && cost + exampleCost <= remaining) {
        examples.push(example);
        cost += exampleCost;
      } else {
        omitted += exampleCost;
      }
    }
    if (examples.length > 0) {
      sections.push(`${header}\n${examples.join('\n\n')}`);
      remaining -= cost;
    }
    if (omitted > 0) leftOut.push({ part: 'exampleDialogues', tokens: omitted, reason: `${persona.exampleDialogues.length - examples.length} of ${persona.exampleDialogues.length} exchanges over the prompt budget` });
  }
  return sections.join('\n\n');
}

/** The longest start of `text`, ending at a word boundary where it can, that counts at most `budget` tokens. */
function longestPrefixWithin(text: string, budget: number, countTokens: (text: string) => number): string {
  if (budget <= 1) return '';
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countTokens(`${text.slice(0, middle)} […]`) <= budget) low = middle;
    else high = middle - 1;
  }
  const prefix = text.slice(0, low);
  const lastSpace = prefix.search(/\s\S*$/);
  return (lastSpace > prefix.length * 0.8 ? prefix.slice(0, lastSpace) : prefix).trimEnd();
}
