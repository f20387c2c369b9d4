// ElizaOS character files (v0.1, v1 and the later line with `documents`) to and from a persona.
import type { PersonaDefinition } from '@doppel/personas';
import { DOPPEL_EXTENSION_KEY, doppelExtensionOf, readDoppelExtension } from './doppel-extension';
import { pairDialogues, type SpokenLine } from './example-dialogues';
import type { CharacterFormat, ImportReportBuilder } from './import-report';
import type { PersonaDraft } from './imported-persona';
import { fitText, isEmptyValue, isRecord, normalizeTags, textOf } from './persona-fields';
import { isSecretKey } from './secret-fields';

const ELIZA_EXTENSION_FIELDS = [
  'greeting',
  'alternateGreetings',
  'scenario',
  'postHistoryInstructions',
  'generation',
  'minVerification',
  'defaultModel',
  'lorebook',
] as const;
const PERSONA_SPEAKERS = new Set(['{{char}}', '{{agent}}', '{{agentname}}']);

/** Why each Eliza field with no place in a persona is left out. */
const DROP_REASONS: Record<string, string> = {
  adjectives: 'Doppel has no adjective list; write the traits into personality',
  postExamples: 'social-media posts are not part of a chat persona',
  plugins: 'ElizaOS plugins do not run in Doppel',
  clients: 'ElizaOS clients do not run in Doppel',
  modelProvider: "ElizaOS model providers are not Doppel models; the persona uses the server's default model",
  imageModelProvider: 'ElizaOS model providers are not Doppel models',
  templates: 'ElizaOS prompt templates do not apply to Doppel prompts',
  settings: 'ElizaOS runtime settings do not apply to Doppel',
  id: "Doppel assigns the persona's id",
  username: 'Doppel personas have a name only',
};

export function looksLikeElizaCharacter(file: Record<string, unknown>): boolean {
  return typeof file.name === 'string' && ['bio', 'lore', 'messageExamples', 'style', 'plugins', 'clients', 'modelProvider', 'topics', 'adjectives', 'system', 'postExamples'].some((key) => key in file);
}

export function elizaGeneration(file: Record<string, unknown>): CharacterFormat {
  const examplesUseUser = Array.isArray(file.messageExamples) && file.messageExamples.some((conversation) => Array.isArray(conversation) && conversation.some((line) => isRecord(line) && 'user' in line));
  if ('lore' in file || 'clients' in file || 'modelProvider' in file || examplesUseUser) return 'eliza-v0.1';
  if ('documents' in file) return 'eliza-later';
  return 'eliza-v1';
}

export function mapElizaCharacter(file: Record<string, unknown>, report: ImportReportBuilder): PersonaDraft {
  const draft: PersonaDraft = {};
  // knowledge and documents become knowledge documents (eliza-knowledge.ts), not persona fields.
  const handled = new Set(['name', 'bio', 'lore', 'system', 'style', 'topics', 'messageExamples', 'secrets', 'knowledge', 'documents']);

  const name = textOf(file.name, 'name', report);
  if (name !== undefined) {
    draft.name = fitText(name.trim(), 'name', 'name', report);
    report.map('name', 'name');
  }

  const bio = textOf(file.bio, 'bio', report) ?? '';
  const lore = textOf(file.lore, 'lore', report) ?? '';
  if (bio) report.map('bio', 'description');
  if (lore) report.map('lore', 'description');
  const description = [bio, lore].filter((part) => part.length > 0).join('\n\n');
  if (description) draft.description = fitText(description, 'description', lore ? 'bio + lore' : 'bio', report);

  const system = textOf(file.system, 'system', report);
  if (system) {
    draft.systemPrompt = fitText(system, 'systemPrompt', 'system', report);
    report.map('system', 'systemPrompt');
  }

  const personality = mapStyle(file.style, report);
  if (personality) draft.personality = personality;

  const tags = normalizeTags(file.topics, 'topics', report);
  if (tags.length > 0) {
    draft.tags = tags;
    report.map('topics', 'tags');
  }

  const dialogues = pairDialogues(elizaConversations(file.messageExamples, name ?? '', report), 'messageExamples', report);
  if (dialogues.length > 0) {
    draft.exampleDialogues = dialogues;
    report.map('messageExamples', 'exampleDialogues');
  }

  if (isRecord(file.settings) && DOPPEL_EXTENSION_KEY in file.settings) {
    Object.assign(draft, readDoppelExtension(file.settings[DOPPEL_EXTENSION_KEY], `settings.${DOPPEL_EXTENSION_KEY}`, ELIZA_EXTENSION_FIELDS, report));
    const { [DOPPEL_EXTENSION_KEY]: _doppel, ...otherSettings } = file.settings;
    dropUnlessEmpty('settings', withoutSecretKeys(otherSettings), DROP_REASONS.settings!, report);
    handled.add('settings');
  }

  for (const [key, value] of Object.entries(file)) {
    if (handled.has(key) || isSecretKey(key)) continue;
    dropUnlessEmpty(key, key === 'settings' ? withoutSecretKeys(value) : value, DROP_REASONS[key] ?? 'no place in a Doppel persona', report);
  }
  return draft;
}

/** style.all and style.chat are how the character talks in a chat: Doppel's personality. style.post is not. */
function mapStyle(style: unknown, report: ImportReportBuilder): string | undefined {
  if (style === undefined || style === null) return undefined;
  if (!isRecord(style)) {
    report.drop('style', 'not an object');
    return undefined;
  }
  const parts: string[] = [];
  for (const key of ['all', 'chat'] as const) {
    const text = textOf(style[key], `style.${key}`, report);
    if (text) {
      parts.push(text);
      report.map(`style.${key}`, 'personality');
    }
  }
  for (const [key, value] of Object.entries(style)) {
    if (key === 'all' || key === 'chat') continue;
    dropUnlessEmpty(`style.${key}`, value, key === 'post' ? 'the style of social-media posts does not apply to chat' : 'no place in a Doppel persona', report);
  }
  return parts.length > 0 ? fitText(parts.join('\n'), 'personality', 'style.all + style.chat', report) : undefined;
}

/** v0.1 names the speaker `user`, v1 and later `name`; the character is whoever carries its name (or {{char}}). */
function elizaConversations(value: unknown, characterName: string, report: ImportReportBuilder): SpokenLine[][] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report.drop('messageExamples', 'not a list of conversations');
    return [];
  }
  const personaName = characterName.trim().toLowerCase();
  return value.map((conversation, index) => {
    if (!Array.isArray(conversation)) {
      report.drop(`messageExamples[${index}]`, 'not a list of messages');
      return [];
    }
    return conversation.flatMap((message): SpokenLine[] => {
      if (!isRecord(message) || !isRecord(message.content) || typeof message.content.text !== 'string') return [];
      const speaker = String(message.name ?? message.user ?? '').trim().toLowerCase();
      const isPersona = speaker === personaName || PERSONA_SPEAKERS.has(speaker);
      return [{ speaker: isPersona ? 'persona' : 'user', text: message.content.text }];
    });
  });
}

function withoutSecretKeys(value: unknown): unknown {
  return isRecord(value) ? Object.fromEntries(Object.entries(value).filter(([key]) => !isSecretKey(key))) : value;
}

function dropUnlessEmpty(field: string, value: unknown, reason: string, report: ImportReportBuilder): void {
  if (!isEmptyValue(value)) report.drop(field, reason);
}

/** Eliza v1 shape. Greeting, generation, verification and model live in settings.doppel (Eliza has none of them). */
export function toElizaCharacter(definition: PersonaDefinition): Record<string, unknown> {
  return {
    name: definition.name,
    bio: definition.description ? [definition.description] : [],
    system: definition.systemPrompt,
    messageExamples: definition.exampleDialogues.map((dialogue) => [
      { name: '{{user1}}', content: { text: dialogue.user } },
      { name: definition.name, content: { text: dialogue.persona } },
    ]),
    postExamples: [],
    topics: definition.tags,
    adjectives: [],
    style: { all: definition.personality ? [definition.personality] : [], chat: [], post: [] },
    plugins: [],
    settings: { [DOPPEL_EXTENSION_KEY]: doppelExtensionOf(definition, ELIZA_EXTENSION_FIELDS) },
  };
}
