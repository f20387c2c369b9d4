// The persona part of the system prompt, laid out as the worker's PromptAssembler does (libs/turns,
// personaCore), so a creator sees what the model will be told before saving. Lorebook entries, memories and
// history are added per turn and are listed separately in the preview.
import type { PersonaDefinition } from './types';

export function personaCorePreview(persona: Pick<PersonaDefinition, 'name' | 'systemPrompt' | 'description' | 'personality' | 'exampleDialogues'>): string {
  const sections = [persona.systemPrompt.trim() || `You are ${persona.name}. Stay in character.`];
  if (persona.description.trim()) sections.push(`About you: ${persona.description.trim()}`);
  if (persona.personality.trim()) sections.push(`Personality and style: ${persona.personality.trim()}`);
  if (persona.exampleDialogues.length > 0) {
    const examples = persona.exampleDialogues.map((dialogue) => `User: ${dialogue.user}\n${persona.name}: ${dialogue.persona}`);
    sections.push(`Example exchanges:\n${examples.join('\n\n')}`);
  }
  return sections.join('\n\n');
}
