// Turning a file's loosely typed values into persona fields, reporting everything that does not fit.
import type { ImportReportBuilder } from './import-report';
import { TEXT_LIMITS } from './imported-persona';

type TextField = 'name' | 'description' | 'personality' | 'systemPrompt' | 'greeting' | 'scenario' | 'postHistoryInstructions';

const TAG_PATTERN = /^[a-z0-9][a-z0-9 _-]{0,31}$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

/** A string, or the strings of an array joined by newlines; anything else is reported and skipped. */
export function textOf(value: unknown, fromPath: string, report: ImportReportBuilder): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const lines: string[] = [];
    value.forEach((item, index) => {
      if (typeof item === 'string') lines.push(item);
      else report.drop(`${fromPath}[${index}]`, 'not text');
    });
    return lines.join('\n');
  }
  report.drop(fromPath, 'not text');
  return undefined;
}

/** Cuts text to the persona field's limit, saying so: an import that fails on a long card helps no one. */
export function fitText(text: string, target: TextField, fromPath: string, report: ImportReportBuilder): string {
  const limit = TEXT_LIMITS[target];
  if (text.length <= limit) return text;
  report.drop(`${fromPath} (beyond character ${limit})`, `Doppel's ${target} holds at most ${limit} characters`);
  report.warn(`${fromPath} was cut to ${limit} characters to fit ${target}; review it.`);
  return text.slice(0, limit);
}

/** Tags lower-cased, with characters the tag rule refuses turned into spaces; duplicates and misfits reported. */
export function normalizeTags(value: unknown, fromPath: string, report: ImportReportBuilder): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report.drop(fromPath, 'not a list of tags');
    return [];
  }
  const tags: string[] = [];
  value.forEach((item, index) => {
    const itemPath = `${fromPath}[${index}]`;
    if (typeof item !== 'string') return report.drop(itemPath, 'not text');
    const tag = item
      .toLowerCase()
      .replace(/\s*[^a-z0-9 _-]+\s*/g, ' ')
      .trim()
      .replace(/^[ _-]+/, '');
    if (!TAG_PATTERN.test(tag)) return report.drop(itemPath, 'not a valid tag (1-32 letters, digits, space, _ or -)');
    if (tags.includes(tag)) return;
    if (tags.length >= TEXT_LIMITS.tags) return report.drop(itemPath, `a persona has at most ${TEXT_LIMITS.tags} tags`);
    tags.push(tag);
  });
  return tags;
}
