// Lorebooks as other applications write them, to and from a Doppel lorebook: a card's `character_book` (V2/V3
// names), SillyTavern World Info (entries keyed by number, `key`/`keysecondary`/`disable`/`order`), Chub exports that
// carry both naming schemes, and Agnai memory books (`entry`/`keywords`/`weight`). What Doppel does not use (position,
// depth, probability, groups, timers…) is kept per entry in `extras` and written back on export.
import { lorebookEntrySchema, lorebookSchema, MAX_LOREBOOK_REGEX_KEYS, PERSONA_LIMITS, type Lorebook, type LorebookEntry } from '@doppel/personas';
import type { ImportReportBuilder } from './import-report';
import { fitText, isEmptyValue, isRecord } from './persona-fields';
import { isSecretKey } from './secret-fields';

/** Fields read into a Doppel entry, under every name they go by; the rest of an entry becomes its extras. */
const ENTRY_FIELDS = new Set([
  'keys', 'key', 'keywords',
  'secondary_keys', 'keysecondary',
  'content', 'entry',
  'constant', 'enabled', 'disable', 'selective',
  'case_sensitive', 'caseSensitive', 'use_regex',
  'insertion_order', 'order', 'priority', 'weight',
  'comment', 'name',
  // Positions in the file, written afresh on export.
  'uid', 'id', 'displayIndex',
]);
const BOOK_FIELDS = new Set(['entries', 'name', 'description', 'scan_depth', 'scanDepth', 'token_budget', 'tokenBudget', 'kind', 'originalData']);
const REGEX_KEY = /^\/(.+)\/([a-z]*)$/s;

/** Counts a text's tokens for the budget warnings (the gateway passes the project's own measure). */
export type TokenCounter = (text: string) => number;
export const roughTokenCount: TokenCounter = (text) => Math.ceil(text.length / 4);

export interface WorldInfoOptions {
  countTokens?: TokenCounter;
}

/** A lorebook from any of the shapes above; entries that cannot work are dropped one by one, with the reason. */
export function lorebookFromWorldInfo(book: unknown, fromPath: string, report: ImportReportBuilder, options: WorldInfoOptions = {}): Lorebook | undefined {
  if (!isRecord(book)) {
    report.drop(fromPath, 'not an object');
    return undefined;
  }
  const rawEntries = Array.isArray(book.entries) ? book.entries.map((entry, index) => [String(index), entry] as const) : isRecord(book.entries) ? Object.entries(book.entries) : [];
  if (!Array.isArray(book.entries) && !isRecord(book.entries)) report.drop(`${fromPath}.entries`, 'not a list or map of entries');
  const entries: LorebookEntry[] = [];
  const regexBudget = { left: MAX_LOREBOOK_REGEX_KEYS };
  for (const [key, raw] of rawEntries) {
    const entry = entryFromWorldInfo(raw, `${fromPath}.entries[${key}]`, report, regexBudget);
    if (entry) entries.push(entry);
  }
  if (entries.length > PERSONA_LIMITS.lorebookEntries) report.drop(`${fromPath}.entries`, `only the first ${PERSONA_LIMITS.lorebookEntries} of ${entries.length} entries are kept`);

  const scanDepth = numberOf(book.scan_depth ?? book.scanDepth);
  const tokenBudget = numberOf(book.token_budget ?? book.tokenBudget);
  const extras = extrasOf(book, BOOK_FIELDS);
  if (!isEmptyValue(book.originalData)) report.drop(`${fromPath}.originalData`, 'a second copy of the entries in another format');
  const parsed = lorebookSchema.safeParse({
    scanDepth: scanDepth === undefined ? undefined : Math.min(50, Math.max(1, Math.round(scanDepth))),
    tokenBudget: tokenBudget === undefined ? undefined : Math.min(32_768, Math.max(16, Math.round(tokenBudget))),
    entries: entries.slice(0, PERSONA_LIMITS.lorebookEntries),
    ...(typeof book.name === 'string' && book.name.trim() ? { name: fitText(book.name.trim(), 'lorebook name', `${fromPath}.name`, report, PERSONA_LIMITS.metadataChars) } : {}),
    ...(typeof book.description === 'string' && book.description.trim() ? { description: fitText(book.description, 'lorebook description', `${fromPath}.description`, report) } : {}),
    ...(extras ? { extras } : {}),
  });
  if (!parsed.success) {
    report.drop(fromPath, `not a usable lorebook: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    return undefined;
  }
  if (parsed.data.entries.length === 0) {
    report.drop(fromPath, 'no usable lorebook entries');
    return undefined;
  }
  warnAboutBudget(parsed.data, fromPath, report, options.countTokens ?? roughTokenCount);
  return parsed.data;
}

function entryFromWorldInfo(raw: unknown, entryPath: string, report: ImportReportBuilder, regexBudget: { left: number }): LorebookEntry | undefined {
  if (!isRecord(raw)) {
    report.drop(entryPath, 'not an object');
    return undefined;
  }
  const label = typeof raw.comment === 'string' && raw.comment.trim() ? raw.comment.trim() : typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : undefined;
  const keys = keysOf(raw.keys ?? raw.key ?? raw.keywords, `${entryPath}.keys`, report);
  const selective = raw.selective !== false;
  const secondaryKeys = selective ? keysOf(raw.secondary_keys ?? raw.keysecondary, `${entryPath}.secondary_keys`, report) : [];
  const content = typeof raw.content === 'string' ? raw.content : typeof raw.entry === 'string' ? raw.entry : '';
  const constant = raw.constant === true;
  if (!content.trim()) {
    report.drop(entryPath, 'no content');
    return undefined;
  }
  if (keys.length === 0 && !constant) {
    report.drop(entryPath, 'no keys and not constant, so it could never enter a prompt');
    return undefined;
  }
  const regex = regexKeys([...keys, ...secondaryKeys]);
  const order = numberOf(raw.insertion_order ?? raw.order ?? raw.priority);
  const extras = extrasOf(raw, ENTRY_FIELDS);
  // A constant entry needs no key, but the schema wants one: its title stands in (it is never matched).
  const standIn = [(label ?? 'always').slice(0, PERSONA_LIMITS.lorebookKeyChars)];
  const candidate = {
    keys: keys.length === 0 ? standIn : regex ? regex.keys.slice(0, keys.length) : keys,
    secondaryKeys: regex ? regex.keys.slice(keys.length) : secondaryKeys,
    content: fitText(content, 'lorebook entry', `${entryPath}.content`, report),
    caseSensitive: regex?.caseSensitive ?? (raw.case_sensitive === true || raw.caseSensitive === true),
    useRegex: regex !== undefined || raw.use_regex === true,
    insertionOrder: order === undefined ? 100 : Math.min(10_000, Math.max(-10_000, Math.round(order))),
    enabled: typeof raw.enabled === 'boolean' ? raw.enabled : raw.disable !== true,
    constant,
    ...(label ? { name: label.slice(0, PERSONA_LIMITS.metadataChars) } : {}),
    ...(extras ? { extras } : {}),
  };
  // Every regex key costs a test on every turn, so a book holds a bounded number; counted before any key is compiled,
  // so a file with thousands of them costs nothing past the limit.
  const regexKeyCount = candidate.useRegex ? candidate.keys.length + candidate.secondaryKeys.length : 0;
  if (regexKeyCount > regexBudget.left) {
    report.drop(entryPath, `a lorebook holds at most ${MAX_LOREBOOK_REGEX_KEYS} regex keys`);
    return undefined;
  }
  const parsed = lorebookEntrySchema.safeParse(candidate);
  if (!parsed.success) {
    report.drop(entryPath, `not a usable lorebook entry: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    return undefined;
  }
  regexBudget.left -= regexKeyCount;
  return parsed.data;
}

/** Keys as a list (SillyTavern also writes "a, b"); empty keys would match every message, so they are left out. */
function keysOf(value: unknown, fromPath: string, report: ImportReportBuilder): string[] {
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [];
  const keys: string[] = [];
  let empty = 0;
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    const key = String(item).trim();
    if (!key) empty++;
    else if (key.length > PERSONA_LIMITS.lorebookKeyChars) report.drop(`${fromPath} "${key.slice(0, 40)}…"`, `a key holds at most ${PERSONA_LIMITS.lorebookKeyChars} characters`);
    else if (!keys.includes(key)) keys.push(key);
  }
  if (empty > 0) report.drop(`${fromPath} (${empty} empty)`, 'an empty key would match every message; left out');
  if (keys.length > PERSONA_LIMITS.lorebookKeys) report.drop(fromPath, `only the first ${PERSONA_LIMITS.lorebookKeys} of ${keys.length} keys are kept`);
  return keys.slice(0, PERSONA_LIMITS.lorebookKeys);
}

/** SillyTavern writes regex keys as /pattern/flags inside ordinary key lists; Doppel's entries are all-regex or none. */
function regexKeys(keys: string[]): { keys: string[]; caseSensitive: boolean } | undefined {
  const matches = keys.map((key) => REGEX_KEY.exec(key));
  if (!matches.some(Boolean)) return undefined;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return {
    keys: keys.map((key, index) => (matches[index] ? matches[index]![1]! : escape(key))),
    caseSensitive: matches.every((match) => !match || !match[2]!.includes('i')),
  };
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function extrasOf(raw: Record<string, unknown>, read: Set<string>): Record<string, unknown> | undefined {
  // Empty values are the other application's defaults; leaving them out keeps exports and re-imports identical.
  const kept = Object.entries(raw).filter(([key, value]) => !read.has(key) && !isSecretKey(key) && !isEmptyValue(value) && key.length <= PERSONA_LIMITS.metadataChars);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Entries larger than their book's whole budget can never enter a prompt: say so, with what to change. */
function warnAboutBudget(lorebook: Lorebook, fromPath: string, report: ImportReportBuilder, countTokens: TokenCounter): void {
  lorebook.entries.forEach((entry, index) => {
    const tokens = countTokens(entry.content);
    if (tokens <= lorebook.tokenBudget) return;
    const what = `${fromPath}.entries[${index}]${entry.name ? ` "${entry.name}"` : ''}`;
    report.warn(
      `${what} is ${entry.constant ? 'constant and ' : ''}about ${tokens} tokens, more than the book's token budget of ${lorebook.tokenBudget}: it cannot enter a prompt until the budget is raised or the entry is split.`,
    );
  });
}

/** What a card's `character_book` and a World Info file both carry at the top: kept extras, name, description, budgets. */
function bookHeaderOf(lorebook: Lorebook): Record<string, unknown> {
  return {
    ...lorebook.extras,
    ...(lorebook.name !== undefined ? { name: lorebook.name } : {}),
    ...(lorebook.description !== undefined ? { description: lorebook.description } : {}),
    scan_depth: lorebook.scanDepth,
    token_budget: lorebook.tokenBudget,
  };
}

/** A Doppel lorebook as a card's `character_book` (V2/V3 names). */
export function characterBookOf(lorebook: Lorebook): Record<string, unknown> {
  return {
    ...bookHeaderOf(lorebook),
    extensions: lorebook.extras?.extensions ?? {},
    entries: lorebook.entries.map((entry, index) => ({
      ...entry.extras,
      id: index,
      keys: entry.keys,
      secondary_keys: entry.secondaryKeys,
      selective: entry.secondaryKeys.length > 0,
      content: entry.content,
      enabled: entry.enabled,
      insertion_order: entry.insertionOrder,
      case_sensitive: entry.caseSensitive,
      use_regex: entry.useRegex,
      constant: entry.constant,
      ...(entry.name !== undefined ? { comment: entry.name } : {}),
      extensions: entry.extras?.extensions ?? {},
    })),
  };
}

/** A Doppel lorebook as a SillyTavern World Info file: entries keyed by uid, SillyTavern's own field names. */
export function worldInfoOf(lorebook: Lorebook): Record<string, unknown> {
  const entries = Object.fromEntries(
    lorebook.entries.map((entry, uid) => [
      String(uid),
      {
        ...entry.extras,
        uid,
        displayIndex: uid,
        key: entry.keys,
        keysecondary: entry.secondaryKeys,
        comment: entry.name ?? '',
        content: entry.content,
        constant: entry.constant,
        selective: entry.secondaryKeys.length > 0,
        order: entry.insertionOrder,
        disable: !entry.enabled,
        caseSensitive: entry.caseSensitive,
        // Doppel's all-regex entries become SillyTavern's /pattern/ keys.
        ...(entry.useRegex
          ? {
              key: entry.keys.map((key) => `/${key}/${entry.caseSensitive ? '' : 'i'}`),
              keysecondary: entry.secondaryKeys.map((key) => `/${key}/${entry.caseSensitive ? '' : 'i'}`),
            }
          : {}),
      },
    ]),
  );
  return { ...bookHeaderOf(lorebook), entries };
}
