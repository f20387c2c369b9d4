// Builds the model input for one turn from the persona, its triggered lorebook entries, retrieved memories and
// recent history, within a token budget. Priority when the budget is tight: persona core and the user's message,
// then lorebook entries (insertion order, within the lorebook's own budget), then memories (most relevant first),
// then history (most recent first). Pure: easy to test, and the exact output is stored on the turn.
import type { ChatMessage, ChatPrompt } from '@doppel/inference';
import type { MemoryHit } from '@doppel/memory';
import type { PersonaDefinition } from '@doppel/personas';
import { triggeredLoreEntries } from './lorebook';

export interface PromptInputs {
  persona: PersonaDefinition;
  memories: readonly MemoryHit[];
  /** Oldest first, not including the current user message. */
  history: readonly { role: 'user' | 'assistant'; content: string }[];
  userText: string;
  tokenBudget: number;
  countTokens: (text: string) => number;
}

export interface AssembledPrompt {
  prompt: ChatPrompt;
  promptTokens: number;
  memoryIds: string[];
  historyMessages: number;
  /** Indexes (in the persona's lorebook) of the entries placed in the prompt. */
  loreEntries: number[];
}

export const MEMORY_HEADER = 'What you remember from earlier conversations with this user (most relevant first):';
export const LORE_HEADER = 'Things that are true in your world:';

export function assemblePrompt(inputs: PromptInputs): AssembledPrompt {
  const { persona, countTokens } = inputs;
  const core = personaCore(persona);
  let used = countTokens(core) + countTokens(inputs.userText);

  const loreLines: string[] = [];
  const loreEntries: number[] = [];
  if (persona.lorebook && persona.lorebook.entries.length > 0) {
    const window = [...inputs.history.map((message) => message.content), inputs.userText];
    let loreUsed = 0;
    for (const { index, entry } of triggeredLoreEntries(persona.lorebook, window)) {
      const cost = countTokens(entry.content) + (loreLines.length === 0 ? countTokens(LORE_HEADER) : 0);
      if (loreUsed + cost > persona.lorebook.tokenBudget || used + cost > inputs.tokenBudget) continue;
      loreUsed += cost;
      used += cost;
      loreLines.push(entry.content);
      loreEntries.push(index);
    }
  }

  const memoryLines: string[] = [];
  const memoryIds: string[] = [];
  for (const memory of inputs.memories) {
    const line = `- ${memory.kind === 'assistant_reply' ? 'You said' : 'They said'}: ${memory.content}`;
    const cost = countTokens(line) + (memoryLines.length === 0 ? countTokens(MEMORY_HEADER) : 0);
    if (used + cost > inputs.tokenBudget) break;
    used += cost;
    memoryLines.push(line);
    memoryIds.push(memory.id);
  }

  const history: ChatMessage[] = [];
  for (let index = inputs.history.length - 1; index >= 0; index--) {
    const message = inputs.history[index]!;
    const cost = countTokens(message.content);
    if (used + cost > inputs.tokenBudget) break;
    used += cost;
    history.unshift({ role: message.role, content: message.content });
  }

  let system = core;
  if (loreLines.length > 0) system += `\n\n${LORE_HEADER}\n${loreLines.join('\n')}`;
  if (memoryLines.length > 0) system += `\n\n${MEMORY_HEADER}\n${memoryLines.join('\n')}`;
  return {
    prompt: { messages: [{ role: 'system', content: system }, ...history, { role: 'user', content: inputs.userText }] },
    promptTokens: used,
    memoryIds,
    historyMessages: history.length,
    loreEntries,
  };
}

function personaCore(persona: PersonaDefinition): string {
  const sections = [persona.systemPrompt.trim() || `You are ${persona.name}. Stay in character.`];
  if (persona.description.trim()) sections.push(`About you: ${persona.description.trim()}`);
  if (persona.personality.trim()) sections.push(`Personality and style: ${persona.personality.trim()}`);
  if (persona.exampleDialogues.length > 0) {
    const examples = persona.exampleDialogues.map((dialogue) => `User: ${dialogue.user}\n${persona.name}: ${dialogue.persona}`);
    sections.push(`Example exchanges:\n${examples.join('\n\n')}`);
  }
  return sections.join('\n\n');
}
