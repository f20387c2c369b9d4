// Character Card V1 (flat), V2 (`chara_card_v2`) and V3 (`chara_card_v3`) to and from a persona. What the card
// carries besides the prompt is kept: creator metadata as persona fields, everything else (other applications'
// extensions, group greetings, sources, dates, unknown fields) in the persona's `extensions.card`, written back on export.
import { PERSONA_LIMITS, type PersonaDefinition } from '@doppel/personas';
import { DOPPEL_EXTENSION_KEY, doppelExtensionOf, readDoppelExtension, type ExtensionField } from './doppel-extension';
import { pairDialogues } from './example-dialogues';
import { importInvalid, unsupportedFormat } from './import-errors';
import type { CharacterFormat, ImportReportBuilder } from './import-report';
import type { PersonaDraft } from './imported-persona';
import { formatMesExample, parseMesExample } from './mes-example';
import { fitText, isEmptyValue, isRecord, metadataOf, normalizeTags, textOf } from './persona-fields';
import { isSecretKey } from './secret-fields';
import { characterBookOf, lorebookFromWorldInfo, type WorldInfoOptions } from './world-info';

const CARD_EXTENSION_FIELDS: readonly ExtensionField[] = ['generation', 'minVerification', 'defaultModel', 'attachedLorebooks', 'extensions'];

/** Text fields, under the V2/V3 name and the names older (Pygmalion-era V1) editors used. */
const TEXT_FIELD_TARGETS = [
  [['description'], 'description'],
  [['personality', 'char_persona'], 'personality'],
  [['system_prompt'], 'systemPrompt'],
  [['first_mes', 'char_greeting'], 'greeting'],
  [['scenario', 'world_scenario'], 'scenario'],
  [['post_history_instructions'], 'postHistoryInstructions'],
  [['creator_notes', 'creatorcomment'], 'creatorNotes'],
] as const;

const METADATA_TARGETS = [
  ['creator', 'creator'],
  ['character_version', 'characterVersion'],
  ['nickname', 'nickname'],
] as const;

/** Where the card says its picture is: the PNG it came in, a file in its CHARX, or inline data. */
export type AvatarSource = { kind: 'container'; named: boolean } | { kind: 'zip'; path: string } | { kind: 'data'; bytes: Buffer };

export interface MappedCard {
  draft: PersonaDraft;
  avatar?: AvatarSource;
}

export function cardFormatOf(file: Record<string, unknown>): CharacterFormat | null {
  if (file.spec === 'chara_card_v3') return 'character-card-v3';
  if (file.spec === 'chara_card_v2') return 'character-card-v2';
  if (typeof file.spec === 'string' && file.spec !== 'lorebook_v3') throw unsupportedFormat('The card declares a spec this version does not read.');
  if (typeof (file.name ?? file.char_name) === 'string' && ['first_mes', 'mes_example', 'scenario', 'char_persona', 'char_greeting'].some((key) => key in file)) {
    return 'character-card-v1';
  }
  return null;
}

export function mapCharacterCard(file: Record<string, unknown>, format: CharacterFormat, report: ImportReportBuilder, options: WorldInfoOptions = {}): MappedCard {
  const isFlat = format === 'character-card-v1';
  if (!isFlat && !isRecord(file.data)) throw importInvalid('The card has no `data` object; a V2/V3 card keeps its fields there.');
  const card = isFlat ? file : (file.data as Record<string, unknown>);
  const prefix = isFlat ? '' : 'data.';
  const handled = new Set(['name', 'char_name', 'mes_example', 'example_dialogue', 'tags', 'extensions', 'character_book', 'alternate_greetings', 'assets', 'avatar']);
  const draft: PersonaDraft = {};
  const kept: Record<string, unknown> = {};

  const nameKey = 'name' in card ? 'name' : 'char_name';
  const name = textOf(card[nameKey], `${prefix}${nameKey}`, report);
  if (name !== undefined) {
    draft.name = fitText(name.trim(), 'name', `${prefix}${nameKey}`, report, PERSONA_LIMITS.nameChars);
    report.map(`${prefix}${nameKey}`, 'name');
  }
  for (const [names, to] of TEXT_FIELD_TARGETS) {
    const from = names.find((candidate) => !isEmptyValue(card[candidate]));
    names.forEach((candidate) => handled.add(candidate));
    if (!from) continue;
    const text = textOf(card[from], `${prefix}${from}`, report);
    if (!text) continue;
    draft[to] = fitText(text, to, `${prefix}${from}`, report);
    report.map(`${prefix}${from}`, to);
  }
  for (const [from, to] of METADATA_TARGETS) {
    handled.add(from);
    const value = metadataOf(card[from], `${prefix}${from}`, to, report);
    if (value !== undefined) draft[to] = value;
  }

  const mesExampleKey = isEmptyValue(card.mes_example) ? 'example_dialogue' : 'mes_example';
  const mesExample = textOf(card[mesExampleKey], `${prefix}${mesExampleKey}`, report);
  if (mesExample) {
    const dialogues = pairDialogues(parseMesExample(mesExample, name ?? ''), `${prefix}${mesExampleKey}`, report);
    if (dialogues.length > 0) {
      draft.exampleDialogues = dialogues;
      report.map(`${prefix}${mesExampleKey}`, 'exampleDialogues');
    }
  }

  const tags = normalizeTags(card.tags, `${prefix}tags`, report);
  if (tags.length > 0) {
    draft.tags = tags;
    report.map(`${prefix}tags`, 'tags');
  }

  if (card.extensions !== undefined) Object.assign(kept, mapExtensions(card.extensions, `${prefix}extensions`, draft, report));
  if (Array.isArray(card.alternate_greetings) && card.alternate_greetings.length > 0) {
    const greetings = card.alternate_greetings.filter((greeting): greeting is string => typeof greeting === 'string' && greeting.trim().length > 0);
    const kept = greetings.slice(0, 100).map((greeting, index) => fitText(greeting, 'greeting', `${prefix}alternate_greetings[${index}]`, report));
    if (greetings.length > 100) report.drop(`${prefix}alternate_greetings`, `only the first 100 of ${greetings.length} greetings are kept`);
    if (kept.length > 0) {
      draft.alternateGreetings = kept;
      report.map(`${prefix}alternate_greetings`, 'alternateGreetings');
    }
  }
  if (!isEmptyValue(card.character_book)) {
    const lorebook = lorebookFromWorldInfo(card.character_book, `${prefix}character_book`, report, options);
    if (lorebook) {
      draft.lorebook = lorebook;
      report.map(`${prefix}character_book`, 'lorebook');
    }
  }
  const avatar = avatarOf(card, prefix, report);
  if (!isEmptyValue(card.avatar)) report.drop(`${prefix}avatar`, 'a link to an image, not the image; the picture comes from the PNG or the CHARX');

  for (const [key, value] of Object.entries(card)) {
    if (handled.has(key) || isSecretKey(key) || isEmptyValue(value)) continue;
    kept[key] = value;
    report.map(`${prefix}${key}`, `extensions.card.${key} (kept for export, not used in prompts)`);
  }
  if (!isFlat) {
    const outside = Object.entries(file).filter(([key, value]) => !['spec', 'spec_version', 'data'].includes(key) && !isSecretKey(key) && !isEmptyValue(value));
    if (outside.length > 0) report.drop(`(root: ${outside.map(([key]) => key).join(', ')})`, 'outside the card data: the copy of the card older (V1) readers look for');
  }
  if (Object.keys(kept).length > 0) draft.extensions = { ...draft.extensions, card: kept };
  return { draft, ...(avatar ? { avatar } : {}) };
}

/** Doppel's own block becomes persona fields; other applications' extensions are kept as they are. */
function mapExtensions(extensions: unknown, fromPath: string, draft: PersonaDraft, report: ImportReportBuilder): Record<string, unknown> {
  if (!isRecord(extensions)) {
    report.drop(fromPath, 'not an object');
    return {};
  }
  const others: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extensions)) {
    if (key === DOPPEL_EXTENSION_KEY) Object.assign(draft, readDoppelExtension(value, `${fromPath}.${key}`, CARD_EXTENSION_FIELDS, report));
    else if (!isSecretKey(key) && !isEmptyValue(value)) {
      others[key] = value;
      report.map(`${fromPath}.${key}`, `extensions.card.extensions.${key} (kept for export, not used in prompts)`);
    }
  }
  return Object.keys(others).length > 0 ? { extensions: others } : {};
}

/**
 * V3 names its picture in `assets` (type `icon`, preferably named `main`): `ccdefault:` is the PNG the card came
 * in, `embeded://` (sic, the spec's spelling) a file in the CHARX, `data:` inline bytes. A V1/V2 card's picture is
 * its PNG. Other assets (backgrounds, emotions, sounds) are not imported.
 */
function avatarOf(card: Record<string, unknown>, prefix: string, report: ImportReportBuilder): AvatarSource | undefined {
  // The V3 spec: no `assets` field means the picture is the card's PNG; an empty list means no picture.
  if (!Array.isArray(card.assets)) return { kind: 'container', named: false };
  const assets = card.assets.filter(isRecord);
  const icons = assets.filter((asset) => asset.type === 'icon' && typeof asset.uri === 'string');
  const icon = icons.find((asset) => asset.name === 'main') ?? icons[0];
  const others = assets.length - (icon ? 1 : 0);
  if (others > 0) report.drop(`${prefix}assets (${others} besides the avatar)`, 'only the avatar image is imported');
  if (!icon) return undefined;
  const uri = icon.uri as string;
  report.map(`${prefix}assets[icon]`, 'avatar');
  if (uri.startsWith('ccdefault:')) return { kind: 'container', named: true };
  const embedded = /^embedd?ed:\/\/(.+)$/.exec(uri);
  if (embedded) return { kind: 'zip', path: embedded[1]! };
  const inline = /^data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/=\s]+)$/.exec(uri);
  if (inline) return { kind: 'data', bytes: Buffer.from(inline[2]!, 'base64') };
  report.drop(`${prefix}assets[icon]`, 'the avatar is a link; Doppel fetches nothing, so upload the image in the studio');
  return undefined;
}

/** Character Card V3. Example dialogues are in mes_example; Doppel-only fields in extensions.doppel. */
export function toCharacterCardV3(definition: PersonaDefinition, avatarUri?: string): Record<string, unknown> {
  const { extensions: cardExtensions, ...cardFields } = definition.extensions?.card ?? {};
  const doppel = doppelExtensionOf(definition, CARD_EXTENSION_FIELDS, 'card');
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      ...cardFields,
      name: definition.name,
      description: definition.description,
      personality: definition.personality,
      scenario: definition.scenario ?? '',
      first_mes: definition.greeting,
      mes_example: formatMesExample(definition.exampleDialogues),
      creator_notes: definition.creatorNotes ?? '',
      system_prompt: definition.systemPrompt,
      post_history_instructions: definition.postHistoryInstructions ?? '',
      alternate_greetings: definition.alternateGreetings ?? [],
      group_only_greetings: cardFields.group_only_greetings ?? [],
      tags: definition.tags,
      ...(definition.lorebook ? { character_book: characterBookOf(definition.lorebook) } : {}),
      creator: definition.creator ?? '',
      character_version: definition.characterVersion ?? '',
      ...(definition.nickname !== undefined ? { nickname: definition.nickname } : {}),
      assets: avatarUri ? [{ type: 'icon', uri: avatarUri, name: 'main', ext: 'png' }] : [],
      extensions: { ...(isRecord(cardExtensions) ? cardExtensions : {}), ...(Object.keys(doppel).length > 0 ? { [DOPPEL_EXTENSION_KEY]: doppel } : {}) },
    },
  };
}

/** The same card as V2, for the `chara` chunk older readers look for. */
export function toCharacterCardV2(definition: PersonaDefinition): Record<string, unknown> {
  const v3 = toCharacterCardV3(definition) as { data: Record<string, unknown> };
  const { assets: _assets, nickname: _nickname, group_only_greetings: _group, creator_notes_multilingual: _multilingual, source: _source, creation_date: _created, modification_date: _modified, ...data } = v3.data;
  return { spec: 'chara_card_v2', spec_version: '2.0', data };
}
