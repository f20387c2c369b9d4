// ElizaOS character files (v0.1, v1, v2 and the later line with `documents`) to and from a persona. Fields with no
// place in a persona (adjectives, post examples, style.post, plugins, clients, settings, templates…) are kept in the
// persona's `extensions.eliza` and written back on export, so an ElizaOS user gets their character back.
import type { PersonaDefinition } from '@doppel/personas';
import { PERSONA_LIMITS } from '@doppel/personas';
import { DOPPEL_EXTENSION_KEY, doppelExtensionOf, readDoppelExtension, type ExtensionField } from './doppel-extension';
import { pairDialogues, type SpokenLine } from './example-dialogues';
import type { CharacterFormat, ImportReportBuilder } from './import-report';
import type { PersonaDraft } from './imported-persona';
import { fitText, isEmptyValue, isRecord, normalizeTags, textOf } from './persona-fields';
import { isSecretKey } from './secret-fields';

const ELIZA_EXTENSION_FIELDS: readonly ExtensionField[] = [
  'greeting',
  'alternateGreetings',
  'scenario',
  'postHistoryInstructions',
  'generation',
  'minVerification',
  'defaultModel',
  'lorebook',
  'attachedLorebooks',
  'creator',
  'creatorNotes',
  'characterVersion',
  'nickname',
  'extensions',
];
/** Speakers that are the character itself, besides its name. */
const PERSONA_SPEAKERS = new Set(['{{char}}', '{{agent}}', '{{agentname}}', 'assistant']);
/** Speakers that are the other side: placeholders and role names. */
const USER_SPEAKER = /^(\{\{(user|name)\d*\}\}|user|human|you)$/;
const ELIZA_KEYS = ['bio', 'lore', 'messageExamples', 'style', 'plugins', 'clients', 'modelProvider', 'topics', 'adjectives', 'system', 'postExamples'];

export interface MappedEliza {
  draft: PersonaDraft;
  /** An inline picture (`settings.avatar` as a data: URI). */
  avatar?: Buffer;
}

export function looksLikeElizaCharacter(file: unknown): file is Record<string, unknown> {
  return isRecord(file) && typeof file.name === 'string' && ELIZA_KEYS.some((key) => key in file);
}

export function elizaGeneration(file: Record<string, unknown>): CharacterFormat {
  const examplesUseUser =
    Array.isArray(file.messageExamples) && file.messageExamples.some((conversation) => Array.isArray(conversation) && conversation.some((line) => isRecord(line) && 'user' in line));
  if ('lore' in file || 'clients' in file || 'modelProvider' in file || examplesUseUser) return 'eliza-v0.1';
  if ('documents' in file) return 'eliza-later';
  return 'eliza-v1';
}

export function mapElizaCharacter(file: Record<string, unknown>, report: ImportReportBuilder, fromPrefix = ''): MappedEliza {
  const at = (path: string) => `${fromPrefix}${path}`;
  const draft: PersonaDraft = {};
  const kept: Record<string, unknown> = {};
  // knowledge and documents become knowledge documents (eliza-knowledge.ts), not persona fields.
  const handled = new Set(['name', 'bio', 'lore', 'system', 'style', 'topics', 'tags', 'secrets', 'knowledge', 'documents', 'settings']);

  const name = textOf(file.name, at('name'), report);
  if (name !== undefined) {
    draft.name = fitText(name.trim(), 'name', at('name'), report, PERSONA_LIMITS.nameChars);
    report.map(at('name'), 'name');
  }

  const bio = textOf(file.bio, at('bio'), report) ?? '';
  const lore = textOf(file.lore, at('lore'), report) ?? '';
  if (bio) report.map(at('bio'), 'description');
  if (lore) report.map(at('lore'), 'description');
  const description = [bio, lore].filter((part) => part.length > 0).join('\n\n');
  if (description) draft.description = fitText(description, 'description', at(lore ? 'bio + lore' : 'bio'), report);

  const system = textOf(file.system, at('system'), report);
  if (system) {
    draft.systemPrompt = fitText(system, 'systemPrompt', at('system'), report);
    report.map(at('system'), 'systemPrompt');
  }

  const style = mapStyle(file.style, at('style'), report);
  if (style.personality) draft.personality = style.personality;
  if (style.kept) kept.style = style.kept;

  // Cloud templates carry `tags` as well as `topics`: both become tags.
  const tags = normalizeTags(file.topics, at('topics'), report, normalizeTags(file.tags, at('tags'), report));
  if (tags.length > 0) draft.tags = tags;
  if (!isEmptyValue(file.topics)) report.map(at('topics'), 'tags');
  if (!isEmptyValue(file.tags)) report.map(at('tags'), 'tags');

  // An older variant writes `examples: [{ user, assistant }]` where the others have messageExamples.
  const examplesKey = isEmptyValue(file.messageExamples) && !isEmptyValue(file.examples) ? 'examples' : 'messageExamples';
  handled.add(examplesKey);
  const conversations = examplesKey === 'examples' ? pairedExamples(file.examples, at('examples'), report) : elizaConversations(file.messageExamples, name ?? '', at('messageExamples'), report);
  const dialogues = pairDialogues(conversations, at(examplesKey), report);
  if (dialogues.length > 0) {
    draft.exampleDialogues = dialogues;
    report.map(at(examplesKey), 'exampleDialogues');
  }

  let avatar: Buffer | undefined;
  if (isRecord(file.settings)) {
    const { [DOPPEL_EXTENSION_KEY]: doppel, avatar: settingsAvatar, ...otherSettings } = file.settings;
    if (doppel !== undefined) Object.assign(draft, readDoppelExtension(doppel, at(`settings.${DOPPEL_EXTENSION_KEY}`), ELIZA_EXTENSION_FIELDS, report));
    const inline = typeof settingsAvatar === 'string' ? /^data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/=\s]+)$/.exec(settingsAvatar) : null;
    if (inline) {
      avatar = Buffer.from(inline[2]!, 'base64');
      report.map(at('settings.avatar'), 'avatar');
    } else if (!isEmptyValue(settingsAvatar)) {
      otherSettings.avatar = settingsAvatar;
    }
    const settings = withoutSecretKeys(otherSettings);
    if (!isEmptyValue(settings)) {
      kept.settings = settings;
      report.map(at('settings'), 'extensions.eliza.settings (kept for export, not used in prompts)');
    }
  } else if (!isEmptyValue(file.settings)) {
    report.drop(at('settings'), 'not an object');
  }

  for (const [key, value] of Object.entries(file)) {
    if (handled.has(key) || isSecretKey(key) || isEmptyValue(value)) continue;
    kept[key] = value;
    report.map(at(key), `extensions.eliza.${key} (kept for export, not used in prompts)`);
  }
  if (Object.keys(kept).length > 0) draft.extensions = { ...draft.extensions, eliza: kept };
  return { draft, ...(avatar ? { avatar } : {}) };
}

/** style.all and style.chat are how the character talks in a chat: Doppel's personality. The rest is kept as is. */
function mapStyle(style: unknown, fromPath: string, report: ImportReportBuilder): { personality?: string; kept?: Record<string, unknown> } {
  if (style === undefined || style === null) return {};
  if (!isRecord(style)) {
    report.drop(fromPath, 'not an object');
    return {};
  }
  const parts: string[] = [];
  for (const key of ['all', 'chat'] as const) {
    const text = textOf(style[key], `${fromPath}.${key}`, report);
    if (text) {
      parts.push(text);
      report.map(`${fromPath}.${key}`, 'personality');
    }
  }
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(style)) {
    if (key === 'all' || key === 'chat' || isEmptyValue(value)) continue;
    kept[key] = value;
    report.map(`${fromPath}.${key}`, `extensions.eliza.style.${key} (kept for export, not used in chat prompts)`);
  }
  return {
    ...(parts.length > 0 ? { personality: fitText(parts.join('\n'), 'personality', `${fromPath}.all + ${fromPath}.chat`, report) } : {}),
    ...(Object.keys(kept).length > 0 ? { kept } : {}),
  };
}

/**
 * v0.1 names the speaker `user`, v1 and later `name`; the character is whoever carries its name, `{{char}}`,
 * `{{agentName}}` or `assistant`. v2 groups a conversation as `{ examples: [...] }` instead of a bare list.
 */
function elizaConversations(value: unknown, characterName: string, fromPath: string, report: ImportReportBuilder): SpokenLine[][] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report.drop(fromPath, 'not a list of conversations');
    return [];
  }
  const personaName = characterName.trim().toLowerCase();
  const conversations = value.map((group, index) => {
    const conversation = isRecord(group) && Array.isArray(group.examples) ? group.examples : group;
    if (!Array.isArray(conversation)) {
      report.drop(`${fromPath}[${index}]`, 'not a list of messages');
      return [];
    }
    return conversation.flatMap((message) => {
      if (!isRecord(message) || !isRecord(message.content) || typeof message.content.text !== 'string') return [];
      return [{ speaker: String(message.name ?? message.user ?? '').trim().toLowerCase(), text: message.content.text }];
    });
  });
  // Characters copied from another often keep its name in their examples ("Eliza" answering in TrollDetective's file):
  // when the character's own name never speaks, a named speaker that is no user placeholder is taken as the character.
  const speakers = new Set(conversations.flat().map((line) => line.speaker));
  const namesItself = speakers.has(personaName) || [...PERSONA_SPEAKERS].some((speaker) => speakers.has(speaker));
  const standIns = namesItself ? [] : [...speakers].filter((speaker) => speaker && !USER_SPEAKER.test(speaker));
  if (standIns.length === 1) report.warn(`${fromPath}: the character's name never speaks; "${standIns[0]}" was taken as the character.`);
  const isPersona = (speaker: string) => speaker === personaName || PERSONA_SPEAKERS.has(speaker) || (standIns.length === 1 && speaker === standIns[0]);
  return conversations.map((lines) => lines.map((line): SpokenLine => ({ speaker: isPersona(line.speaker) ? 'persona' : 'user', text: line.text })));
}

/** An older variant's `examples: [{ user, assistant }]`: one exchange each. */
function pairedExamples(value: unknown, fromPath: string, report: ImportReportBuilder): SpokenLine[][] {
  if (!Array.isArray(value)) {
    report.drop(fromPath, 'not a list of exchanges');
    return [];
  }
  return value.map((exchange): SpokenLine[] =>
    isRecord(exchange) && typeof exchange.user === 'string' && typeof exchange.assistant === 'string'
      ? [
          { speaker: 'user', text: exchange.user },
          { speaker: 'persona', text: exchange.assistant },
        ]
      : [],
  );
}

function withoutSecretKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key, item]) => !isSecretKey(key) && !isEmptyValue(item)));
}

/** Eliza v1 shape. Doppel fields Eliza has no place for live in settings.doppel; kept Eliza fields come back as they were. */
export function toElizaCharacter(definition: PersonaDefinition, avatarDataUri?: string): Record<string, unknown> {
  const { style: keptStyle, settings: keptSettings, ...keptFields } = definition.extensions?.eliza ?? {};
  const doppel = doppelExtensionOf(definition, ELIZA_EXTENSION_FIELDS, 'eliza');
  return {
    ...keptFields,
    name: definition.name,
    bio: definition.description ? [definition.description] : [],
    system: definition.systemPrompt,
    messageExamples: definition.exampleDialogues.map((dialogue) => [
      { name: '{{user1}}', content: { text: dialogue.user } },
      { name: definition.name, content: { text: dialogue.persona } },
    ]),
    postExamples: keptFields.postExamples ?? [],
    topics: definition.tags,
    adjectives: keptFields.adjectives ?? [],
    style: { ...(isRecord(keptStyle) ? keptStyle : {}), all: definition.personality ? [definition.personality] : [], chat: [] },
    plugins: keptFields.plugins ?? [],
    settings: {
      ...(isRecord(keptSettings) ? keptSettings : {}),
      ...(avatarDataUri ? { avatar: avatarDataUri } : {}),
      ...(Object.keys(doppel).length > 0 ? { [DOPPEL_EXTENSION_KEY]: doppel } : {}),
    },
  };
}
