// Character Card V1 (flat), V2 (`chara_card_v2`) and V3 (`chara_card_v3`) to and from a persona.
import type { PersonaDefinition } from '@doppel/personas';
import { characterBookOf, lorebookFromCharacterBook } from './character-book';
import { DOPPEL_EXTENSION_KEY, doppelExtensionOf, readDoppelExtension } from './doppel-extension';
import { pairDialogues } from './example-dialogues';
import { importInvalid, unsupportedFormat } from './import-errors';
import type { CharacterFormat, ImportReportBuilder } from './import-report';
import type { PersonaDraft } from './imported-persona';
import { formatMesExample, parseMesExample } from './mes-example';
import { fitText, isEmptyValue, isRecord, normalizeTags, textOf } from './persona-fields';
import { isSecretKey } from './secret-fields';

const CARD_EXTENSION_FIELDS = ['generation', 'minVerification', 'defaultModel'] as const;

const TEXT_FIELD_TARGETS = [
  ['description', 'description'],
  ['personality', 'personality'],
  ['system_prompt', 'systemPrompt'],
  ['first_mes', 'greeting'],
  ['scenario', 'scenario'],
  ['post_history_instructions', 'postHistoryInstructions'],
] as const;

/** Why each card field with no place in a persona is left out. */
const DROP_REASONS: Record<string, string> = {
  group_only_greetings: 'Doppel has no group chats',
  creator_notes: 'notes for readers of the card, not part of the persona',
  creator_notes_multilingual: 'notes for readers of the card, not part of the persona',
  creator: 'authorship metadata is not stored on a persona',
  character_version: 'Doppel versions personas itself',
  nickname: 'a persona has one name',
  assets: 'embedded assets (images, audio) are not imported',
  avatar: 'embedded assets (images, audio) are not imported',
  source: 'provenance metadata is not stored on a persona',
  creation_date: 'Doppel records its own dates',
  modification_date: 'Doppel records its own dates',
};

export function cardFormatOf(file: Record<string, unknown>): CharacterFormat | null {
  if (file.spec === 'chara_card_v3') return 'character-card-v3';
  if (file.spec === 'chara_card_v2') return 'character-card-v2';
  if (typeof file.spec === 'string') throw unsupportedFormat('The card declares a spec this version does not read.');
  if (typeof file.name === 'string' && ['first_mes', 'mes_example', 'scenario', 'char_persona'].some((key) => key in file)) return 'character-card-v1';
  return null;
}

export function mapCharacterCard(file: Record<string, unknown>, format: CharacterFormat, report: ImportReportBuilder): PersonaDraft {
  const isFlat = format === 'character-card-v1';
  if (!isFlat && !isRecord(file.data)) throw importInvalid('The card has no `data` object; a V2/V3 card keeps its fields there.');
  const card = isFlat ? file : (file.data as Record<string, unknown>);
  const prefix = isFlat ? '' : 'data.';
  const handled = new Set(['name', 'mes_example', 'tags', 'extensions', 'character_book', 'alternate_greetings', ...TEXT_FIELD_TARGETS.map(([from]) => from)]);
  const draft: PersonaDraft = {};

  const name = textOf(card.name, `${prefix}name`, report);
  if (name !== undefined) {
    draft.name = fitText(name.trim(), 'name', `${prefix}name`, report);
    report.map(`${prefix}name`, 'name');
  }
  for (const [from, to] of TEXT_FIELD_TARGETS) {
    const text = textOf(card[from], `${prefix}${from}`, report);
    if (!text) continue;
    draft[to] = fitText(text, to, `${prefix}${from}`, report);
    report.map(`${prefix}${from}`, to);
  }

  const mesExample = textOf(card.mes_example, `${prefix}mes_example`, report);
  if (mesExample) {
    const dialogues = pairDialogues(parseMesExample(mesExample, name ?? ''), `${prefix}mes_example`, report);
    if (dialogues.length > 0) {
      draft.exampleDialogues = dialogues;
      report.map(`${prefix}mes_example`, 'exampleDialogues');
    }
  }

  const tags = normalizeTags(card.tags, `${prefix}tags`, report);
  if (tags.length > 0) {
    draft.tags = tags;
    report.map(`${prefix}tags`, 'tags');
  }

  if (card.extensions !== undefined) Object.assign(draft, mapExtensions(card.extensions, `${prefix}extensions`, report));
  if (Array.isArray(card.alternate_greetings) && card.alternate_greetings.length > 0) {
    const greetings = card.alternate_greetings.filter((greeting): greeting is string => typeof greeting === 'string' && greeting.trim().length > 0);
    const kept = greetings.slice(0, 20).map((greeting, index) => fitText(greeting, 'greeting', `${prefix}alternate_greetings[${index}]`, report));
    if (greetings.length > 20) report.drop(`${prefix}alternate_greetings`, `only the first 20 of ${greetings.length} greetings are kept`);
    if (kept.length > 0) {
      draft.alternateGreetings = kept;
      report.map(`${prefix}alternate_greetings`, 'alternateGreetings');
    }
  }
  if (!isEmptyValue(card.character_book)) {
    const lorebook = lorebookFromCharacterBook(card.character_book, `${prefix}character_book`, report);
    if (lorebook) draft.lorebook = lorebook;
  }

  for (const [key, value] of Object.entries(card)) {
    if (handled.has(key) || isSecretKey(key) || isEmptyValue(value)) continue;
    report.drop(`${prefix}${key}`, DROP_REASONS[key] ?? 'no place in a Doppel persona');
  }
  if (!isFlat) {
    for (const [key, value] of Object.entries(file)) {
      if (['spec', 'spec_version', 'data'].includes(key) || isSecretKey(key) || isEmptyValue(value)) continue;
      report.drop(key, 'outside the card data: not part of the character');
    }
  }
  return draft;
}

function mapExtensions(extensions: unknown, fromPath: string, report: ImportReportBuilder): PersonaDraft {
  if (!isRecord(extensions)) {
    report.drop(fromPath, 'not an object');
    return {};
  }
  let draft: PersonaDraft = {};
  for (const [key, value] of Object.entries(extensions)) {
    if (key === DOPPEL_EXTENSION_KEY) draft = readDoppelExtension(value, `${fromPath}.${key}`, CARD_EXTENSION_FIELDS, report);
    else if (!isSecretKey(key) && !isEmptyValue(value)) report.drop(`${fromPath}.${key}`, "another application's extension; Doppel does not read it");
  }
  return draft;
}

/** Character Card V3. The persona's exact example dialogues are in mes_example; Doppel-only fields in extensions.doppel. */
export function toCharacterCardV3(definition: PersonaDefinition): Record<string, unknown> {
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      name: definition.name,
      description: definition.description,
      personality: definition.personality,
      scenario: definition.scenario ?? '',
      first_mes: definition.greeting,
      mes_example: formatMesExample(definition.exampleDialogues),
      creator_notes: '',
      system_prompt: definition.systemPrompt,
      post_history_instructions: definition.postHistoryInstructions ?? '',
      alternate_greetings: definition.alternateGreetings ?? [],
      group_only_greetings: [],
      tags: definition.tags,
      ...(definition.lorebook ? { character_book: characterBookOf(definition.lorebook) } : {}),
      creator: '',
      character_version: '',
      extensions: { [DOPPEL_EXTENSION_KEY]: doppelExtensionOf(definition, CARD_EXTENSION_FIELDS) },
    },
  };
}
