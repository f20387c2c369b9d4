// One entry point for every character file: find the container, read the card JSON, map it, validate the result.
import { cardFormatOf, mapCharacterCard } from './character-card';
import { elizaGeneration, looksLikeElizaCharacter, mapElizaCharacter } from './eliza-character';
import { elizaKnowledge, type ImportedKnowledge } from './eliza-knowledge';
import { importInvalid, importTooLarge, unsupportedFormat } from './import-errors';
import { IMPORT_LIMITS } from './import-limits';
import { ImportReportBuilder, type CharacterContainer, type ImportReport } from './import-report';
import { importedPersonaSchema, type ImportedPersona } from './imported-persona';
import { isRecord } from './persona-fields';
import { isPng, readPngTextChunks } from './png-text-chunks';
import { findSecretPaths, SECRET_DROP_REASON } from './secret-fields';
import { isZip, readZipEntry } from './zip-entry-reader';

export interface ImportResult {
  persona: ImportedPersona;
  report: ImportReport;
  /** Knowledge the file carries as text (Eliza `knowledge` / `documents`), to store as the persona's documents. */
  knowledge: ImportedKnowledge[];
}

/** `fileName` only sharpens error messages; the bytes decide the format. */
export function importCharacter(bytes: Buffer, fileName?: string): ImportResult {
  if (bytes.length > IMPORT_LIMITS.maxFileBytes) throw importTooLarge(`The file${fileName ? ` ${fileName}` : ''}`, IMPORT_LIMITS.maxFileBytes);
  const { container, cardJson } = unwrapContainer(bytes, fileName);
  const file = parseCardJson(cardJson);

  const report = new ImportReportBuilder();
  for (const secretPath of findSecretPaths(file)) report.drop(secretPath, SECRET_DROP_REASON);

  const cardFormat = cardFormatOf(file);
  const format = cardFormat ?? (looksLikeElizaCharacter(file) ? elizaGeneration(file) : null);
  if (!format) throw unsupportedFormat(`${fileName ?? 'The file'} is JSON but neither an ElizaOS character nor a character card.`);
  const draft = cardFormat ? mapCharacterCard(file, cardFormat, report) : mapElizaCharacter(file, report);
  const knowledge = cardFormat ? [] : elizaKnowledge(file, typeof file.name === 'string' ? file.name : '', report);

  const parsed = importedPersonaSchema.safeParse(draft);
  if (!parsed.success) {
    throw importInvalid(
      `The character does not make a valid persona: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}. Fix the file and import it again.`,
      parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  // PostgreSQL text cannot hold U+0000.
  if (containsNul(parsed.data) || containsNul(knowledge)) throw importInvalid('The character contains a NUL character (U+0000); remove it and import again.');
  return { persona: parsed.data, report: report.build(format, container), knowledge };
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  return isRecord(value) && Object.values(value).some(containsNul);
}

function unwrapContainer(bytes: Buffer, fileName: string | undefined): { container: CharacterContainer; cardJson: Buffer } {
  if (isPng(bytes)) return { container: 'png', cardJson: cardFromPng(bytes) };
  if (isZip(bytes)) {
    const cardJson = readZipEntry(bytes, 'card.json');
    if (!cardJson) throw importInvalid('The zip has no card.json at its root, so it is not a CHARX; export the character as CHARX, PNG or JSON.');
    return { container: 'charx', cardJson };
  }
  const firstCharacter = bytes.toString('utf8', 0, Math.min(bytes.length, 64)).replace(/^\uFEFF/, '').trimStart()[0];
  if (firstCharacter === '{') return { container: 'json', cardJson: bytes };
  throw unsupportedFormat(`${fileName ?? 'The file'} is not JSON, PNG or a zip.`);
}

/** Character card PNGs carry the card base64-encoded in tEXt; `ccv3` is the newer spec, so it wins over `chara`. */
function cardFromPng(bytes: Buffer): Buffer {
  const textChunks = readPngTextChunks(bytes);
  const chunk = textChunks.find((candidate) => candidate.keyword.toLowerCase() === 'ccv3') ?? textChunks.find((candidate) => candidate.keyword.toLowerCase() === 'chara');
  if (!chunk) throw importInvalid('The PNG carries no character card (no tEXt chunk named "ccv3" or "chara"); export the card again from its editor.');
  const base64 = chunk.text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw importInvalid(`The PNG's "${chunk.keyword}" chunk is not base64.`);
  const decoded = Buffer.from(base64, 'base64');
  if (decoded.length > IMPORT_LIMITS.maxCardJsonBytes) throw importTooLarge('The card inside the PNG', IMPORT_LIMITS.maxCardJsonBytes);
  return decoded;
}

function parseCardJson(cardJson: Buffer): Record<string, unknown> {
  if (cardJson.length > IMPORT_LIMITS.maxCardJsonBytes) throw importTooLarge('The card JSON', IMPORT_LIMITS.maxCardJsonBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(cardJson.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw importInvalid(`The character is not valid JSON (${(error as Error).message}); check the file in a JSON validator and import it again.`);
  }
  if (!isRecord(parsed)) throw unsupportedFormat('The JSON is not an object, so it is not a character.');
  return parsed;
}
