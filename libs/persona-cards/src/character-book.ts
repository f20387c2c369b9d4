// A card's character_book (V2/V3 lorebook) to and from a persona's lorebook.
import { lorebookEntrySchema, lorebookSchema, MAX_LOREBOOK_REGEX_KEYS, type Lorebook } from '@doppel/personas';
import type { ImportReportBuilder } from './import-report';
import { isRecord } from './persona-fields';

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.length > 0) : []);

/** Entries that do not fit the persona's lorebook rules are dropped one by one, with the reason. */
export function lorebookFromCharacterBook(book: unknown, fromPath: string, report: ImportReportBuilder): Lorebook | undefined {
  if (!isRecord(book)) {
    report.drop(fromPath, 'not an object');
    return undefined;
  }
  const entries = [];
  let regexKeys = 0;
  for (const [index, raw] of (Array.isArray(book.entries) ? book.entries : []).entries()) {
    const entryPath = `${fromPath}.entries[${index}]`;
    if (!isRecord(raw)) {
      report.drop(entryPath, 'not an object');
      continue;
    }
    const candidate = {
      keys: strings(raw.keys),
      secondaryKeys: raw.selective === true ? strings(raw.secondary_keys) : [],
      content: typeof raw.content === 'string' ? raw.content : '',
      caseSensitive: raw.case_sensitive === true,
      useRegex: raw.use_regex === true,
      insertionOrder: typeof raw.insertion_order === 'number' ? Math.round(raw.insertion_order) : 100,
      enabled: raw.enabled !== false,
      constant: raw.constant === true,
    };
    // A constant entry needs no key, but the schema wants one: its name stands in.
    if (candidate.constant && candidate.keys.length === 0) candidate.keys = [typeof raw.name === 'string' && raw.name ? raw.name : 'always'];
    // Counted before the keys are compiled: a file with thousands of regex keys costs nothing past the limit.
    const entryRegexKeys = candidate.useRegex ? candidate.keys.length + candidate.secondaryKeys.length : 0;
    if (regexKeys + entryRegexKeys > MAX_LOREBOOK_REGEX_KEYS) {
      report.drop(entryPath, `a lorebook holds at most ${MAX_LOREBOOK_REGEX_KEYS} regex keys`);
      continue;
    }
    const parsed = lorebookEntrySchema.safeParse(candidate);
    if (!parsed.success) {
      report.drop(entryPath, `not a usable lorebook entry: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      continue;
    }
    regexKeys += entryRegexKeys;
    entries.push(parsed.data);
  }
  const lorebook = lorebookSchema.safeParse({
    scanDepth: typeof book.scan_depth === 'number' ? Math.min(50, Math.max(1, Math.round(book.scan_depth))) : undefined,
    tokenBudget: typeof book.token_budget === 'number' ? Math.min(4096, Math.max(16, Math.round(book.token_budget))) : undefined,
    entries: entries.slice(0, 200),
  });
  if (!lorebook.success || lorebook.data.entries.length === 0) {
    report.drop(fromPath, 'no usable lorebook entries');
    return undefined;
  }
  if (entries.length > 200) report.drop(`${fromPath}.entries`, `only the first 200 of ${entries.length} entries are kept`);
  report.map(fromPath, 'lorebook');
  return lorebook.data;
}

export function characterBookOf(lorebook: Lorebook): Record<string, unknown> {
  return {
    scan_depth: lorebook.scanDepth,
    token_budget: lorebook.tokenBudget,
    recursive_scanning: false,
    extensions: {},
    entries: lorebook.entries.map((entry, index) => ({
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
      extensions: {},
    })),
  };
}
