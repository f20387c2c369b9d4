// One entry point for every persona file: find the container, read the JSON inside, decide what it is (one character,
// an ElizaOS array of characters, or a standalone lorebook), map it, validate the result.
import type { Lorebook } from '@doppel/personas';
import { clientJsonProblem } from '@doppel/protocol';
import { cardFormatOf, mapCharacterCard, type AvatarSource } from './character-card';
import { elizaGeneration, looksLikeElizaCharacter, mapElizaCharacter } from './eliza-character';
import { elizaKnowledge, type ImportedKnowledge } from './eliza-knowledge';
import { importInvalid, importTooLarge, unsupportedFormat } from './import-errors';
import { IMPORT_LIMITS } from './import-limits';
import { ImportReportBuilder, type CharacterContainer, type CharacterFormat, type ImportReport } from './import-report';
import { importedPersonaSchema, type ImportedPersona, type PersonaDraft } from './imported-persona';
import { lorebookFormatOf, mapLorebookFile } from './lorebook-file';
import { isRecord } from './persona-fields';
import { isPng, readPngText } from './png-text-chunks';
import { findSecretPaths, SECRET_DROP_REASON } from './secret-fields';
import type { TokenCounter } from './world-info';
import { isZip, openZip, type ZipReader } from './zip-archive';

export interface ImportOptions {
  /** Only sharpens messages and names a lorebook that names nothing itself; the bytes decide the format. */
  fileName?: string;
  /** How lorebook budget warnings count tokens (the gateway passes the project's own measure). */
  countTokens?: TokenCounter;
}

export interface ImportedCharacter {
  persona: ImportedPersona;
  report: ImportReport;
  /** Knowledge the file carries as text (Eliza `knowledge` / `documents`), to store as the persona's documents. */
  knowledge: ImportedKnowledge[];
  /** The picture the file carries, as found: the caller validates and re-encodes it before storing it. */
  avatar?: Buffer;
}

export type ImportedLorebook = Lorebook & { name: string };

export type ImportedFile = { kind: 'characters'; characters: ImportedCharacter[] } | { kind: 'lorebook'; lorebook: ImportedLorebook; report: ImportReport };

interface Unwrapped {
  container: CharacterContainer;
  json: unknown;
  /** The file itself when it is a PNG (a card's default picture). */
  png?: Buffer;
  zip?: ZipReader;
}

export async function importFile(bytes: Buffer, options: ImportOptions = {}): Promise<ImportedFile> {
  if (bytes.length > IMPORT_LIMITS.maxFileBytes) throw importTooLarge(`The file${options.fileName ? ` ${options.fileName}` : ''}`, IMPORT_LIMITS.maxFileBytes);
  const unwrapped = await unwrapContainer(bytes, options.fileName);
  try {
    return await importJson(unwrapped, options);
  } finally {
    unwrapped.zip?.close();
  }
}

/** A file that must hold exactly one character (the export round trip, the CLI). */
export async function importCharacter(bytes: Buffer, fileName?: string): Promise<ImportedCharacter> {
  const imported = await importFile(bytes, { fileName });
  if (imported.kind !== 'characters' || imported.characters.length !== 1) throw unsupportedFormat(`${fileName ?? 'The file'} does not hold exactly one character.`);
  return imported.characters[0]!;
}

async function importJson(unwrapped: Unwrapped, options: ImportOptions): Promise<ImportedFile> {
  const { json, container } = unwrapped;
  if (Array.isArray(json)) return { kind: 'characters', characters: importElizaArray(json, container, options.fileName) };
  if (!isRecord(json)) throw unsupportedFormat('The JSON is not an object or a list of characters.');

  const cardFormat = cardFormatOf(json);
  if (cardFormat) return { kind: 'characters', characters: [await importCard(json, cardFormat, unwrapped, options)] };
  if (looksLikeElizaCharacter(json)) return { kind: 'characters', characters: [importEliza(json, container, '')] };
  const lorebookFormat = lorebookFormatOf(json);
  if (lorebookFormat) {
    const report = new ImportReportBuilder();
    for (const secretPath of findSecretPaths(json)) report.drop(secretPath, SECRET_DROP_REASON);
    const lorebook = mapLorebookFile(json, lorebookFormat, options.fileName, report, options);
    if (!lorebook) throw importInvalid(`${options.fileName ?? 'The lorebook'} has no usable entries: ${report.build(lorebookFormat, container).dropped.map((dropped) => `${dropped.field}: ${dropped.reason}`).join('; ')}`);
    assertStorable(lorebook, 'lorebook');
    return { kind: 'lorebook', lorebook: lorebook as ImportedLorebook, report: report.build(lorebookFormat, container) };
  }
  throw unsupportedFormat(`${options.fileName ?? 'The file'} is JSON but neither a character (ElizaOS or character card) nor a lorebook.`);
}

async function importCard(file: Record<string, unknown>, format: CharacterFormat, unwrapped: Unwrapped, options: ImportOptions): Promise<ImportedCharacter> {
  const report = new ImportReportBuilder();
  for (const secretPath of findSecretPaths(file)) report.drop(secretPath, SECRET_DROP_REASON);
  const { draft, avatar } = mapCharacterCard(file, format, report, options);
  const picture = await avatarBytes(avatar, unwrapped, report);
  return finish(draft, report.build(format, unwrapped.container), [], picture);
}

function importEliza(file: Record<string, unknown>, container: CharacterContainer, prefix: string): ImportedCharacter {
  const report = new ImportReportBuilder();
  for (const secretPath of findSecretPaths(file, prefix.replace(/\.$/, ''))) report.drop(secretPath, SECRET_DROP_REASON);
  const { draft, avatar } = mapElizaCharacter(file, report, prefix);
  const knowledge = elizaKnowledge(file, typeof file.name === 'string' ? file.name : '', report, prefix);
  return finish(draft, report.build(elizaGeneration(file), container), knowledge, avatar, prefix);
}

/** ElizaOS writes several agents to one file as a JSON array; each becomes its own persona. */
function importElizaArray(items: unknown[], container: CharacterContainer, fileName: string | undefined): ImportedCharacter[] {
  const characterIndexes = items.flatMap((item, index) => (looksLikeElizaCharacter(item) ? [index] : []));
  if (characterIndexes.length === 0) throw unsupportedFormat(`${fileName ?? 'The file'} is a JSON list, but none of its items is an ElizaOS character.`);
  if (characterIndexes.length > IMPORT_LIMITS.maxCharactersPerFile) {
    throw importInvalid(`${fileName ?? 'The file'} holds ${characterIndexes.length} characters; import at most ${IMPORT_LIMITS.maxCharactersPerFile} at a time.`);
  }
  const characters = characterIndexes.map((index) => importEliza(items[index] as Record<string, unknown>, container, `[${index}].`));
  const skipped = items.length - characterIndexes.length;
  if (skipped > 0) characters[0]!.report.warnings.push(`${skipped} item(s) of the list are not ElizaOS characters and were skipped.`);
  return characters;
}

function finish(draft: PersonaDraft, report: ImportReport, knowledge: ImportedKnowledge[], avatar: Buffer | undefined, prefix = ''): ImportedCharacter {
  const parsed = importedPersonaSchema.safeParse(draft);
  if (!parsed.success) {
    const where = prefix ? ` (${prefix.replace(/\.$/, '')})` : '';
    throw importInvalid(
      `The character${where} does not make a valid persona: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}. Fix the file and import it again.`,
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  assertStorable(parsed.data, 'character');
  assertStorable({ knowledge }, 'character');
  return { persona: parsed.data, report, knowledge, ...(avatar ? { avatar } : {}) };
}

/** PostgreSQL text holds neither U+0000 nor an unpaired surrogate (a JSON "\ud800" escape makes one): named, refused. */
function assertStorable(value: unknown, what: string): void {
  const problem = clientJsonProblem(value);
  if (problem) throw importInvalid(`The ${what}'s ${problem.message}; fix the file and import it again.`, [{ path: problem.path, message: problem.message }]);
}

async function avatarBytes(source: AvatarSource | undefined, unwrapped: Unwrapped, report: ImportReportBuilder): Promise<Buffer | undefined> {
  if (!source) return undefined;
  if (source.kind === 'data') return source.bytes;
  if (source.kind === 'container') {
    if (!unwrapped.png && source.named) report.drop('data.assets[icon]', "the avatar is the card's PNG, and this card came without it; upload the image in the studio");
    return unwrapped.png;
  }
  const bytes = await unwrapped.zip?.read(source.path, IMPORT_LIMITS.maxAssetBytes);
  if (!bytes) report.drop(`assets (${source.path})`, 'the avatar the card names is not in the CHARX');
  return bytes ?? undefined;
}

async function unwrapContainer(bytes: Buffer, fileName: string | undefined): Promise<Unwrapped> {
  if (isPng(bytes)) return { container: 'png', json: parseJson(cardFromPng(bytes)), png: bytes };
  if (isZip(bytes)) {
    const zip = await openZip(bytes);
    try {
      const cardJson = await zip.read('card.json', IMPORT_LIMITS.maxCardJsonBytes);
      if (!cardJson) throw importInvalid('The zip has no card.json at its root, so it is not a CHARX; export the character as CHARX, PNG or JSON.');
      return { container: 'charx', json: parseJson(cardJson), zip };
    } catch (error) {
      zip.close();
      throw error;
    }
  }
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 256)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return { container: 'json', json: parseJson(bytes) };
  if (/\.(ts|js|mjs|cjs|tsx)$/i.test(fileName ?? '') || /^(import|export|const|let|var|\/\/|\/\*)\b/.test(head)) {
    throw unsupportedFormat(
      `${fileName ?? 'The file'} is program source (TypeScript or JavaScript), not a character file: Doppel never runs code from an upload. Export the character as JSON (in ElizaOS, the character object saved as a .json file) and import that.`,
    );
  }
  throw unsupportedFormat(`${fileName ?? 'The file'} is not JSON, PNG or a zip.`);
}

/** Character card PNGs carry the card base64-encoded in tEXt; `ccv3` is the newer spec, so it wins over `chara`. */
function cardFromPng(bytes: Buffer): Buffer {
  const text = readPngText(bytes);
  const keyword = Object.keys(text).find((key) => key.toLowerCase() === 'ccv3') ?? Object.keys(text).find((key) => key.toLowerCase() === 'chara');
  if (!keyword) throw importInvalid('The PNG carries no character card (no tEXt chunk named "ccv3" or "chara"); export the card again from its editor.');
  const base64 = text[keyword]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw importInvalid(`The PNG's "${keyword}" chunk is not base64.`);
  if ((base64.length * 3) / 4 > IMPORT_LIMITS.maxCardJsonBytes) throw importTooLarge('The card inside the PNG', IMPORT_LIMITS.maxCardJsonBytes);
  return Buffer.from(base64, 'base64');
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length > IMPORT_LIMITS.maxCardJsonBytes) throw importTooLarge('The card JSON', IMPORT_LIMITS.maxCardJsonBytes);
  try {
    return JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw importInvalid(`The file is not valid JSON (${(error as Error).message}); check it in a JSON validator and import it again.`);
  }
}
