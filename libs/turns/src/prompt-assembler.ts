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
  const core = fillPlaceholders(personaCore(persona), names);
  // Card-style "post-history instructions": a system note between the history and the new message.
  const lastWord = persona.postHistoryInstructions?.trim() ? fillPlaceholders(persona.postHistoryInstructions.trim(), names) : null;
  let used = countTokens(core) + countTokens(inputs.userText) + (lastWord ? countTokens(lastWord) : 0);
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
  if (persona.lorebook && persona.lorebook.entries.length > 0) {
    const window = [...inputs.history.map((message) => message.content), inputs.userText];
    let loreUsed = 0;
    for (const { index, entry } of triggeredLoreEntries(persona.lorebook, window)) {
      const content = fillPlaceholders(entry.content, names);
      const cost = loreSection.costOf(content, countTokens);
      if (loreUsed + cost > persona.lorebook.tokenBudget || !fits(cost)) continue;
      loreUsed += cost;
      used += cost;
      loreSection.lines.push(content);
      loreEntries.push(index);
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

function personaCore(persona: PersonaDefinition): string {
  const sections = [persona.systemPrompt.trim() || `You are ${persona.name}. Stay in character.`];
  if (persona.description.trim()) sections.push(`About you: ${persona.description.trim()}`);
  if (persona.personality.trim()) sections.push(`Personality and style: ${persona.personality.trim()}`);
  if (persona.scenario?.trim()) sections.push(`Scenario: ${persona.scenario.trim()}`);
  if (persona.exampleDialogues.length > 0) {
    const examples = persona.exampleDialogues.map((dialogue) => `User: ${dialogue.user}\n${persona.name}: ${dialogue.persona}`);
    sections.push(`Example exchanges:\n${examples.join('\n\n')}`);
  }
  return sections.join('\n\n');
}
