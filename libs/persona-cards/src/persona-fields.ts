// Turning a file's loosely typed values into persona fields, reporting everything that does not fit.
import { PERSONA_LIMITS, TAG_PATTERN } from '@doppel/personas';
import type { ImportReportBuilder } from './import-report';

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

/** Cuts text to a limit, saying so: an import that fails on a long card helps no one. */
export function fitText(text: string, target: string, fromPath: string, report: ImportReportBuilder, limit: number = PERSONA_LIMITS.textChars): string {
  if (text.length <= limit) return text;
  report.drop(`${fromPath} (beyond character ${limit})`, `Doppel's ${target} holds at most ${limit} characters`);
  report.warn(`${fromPath} was cut to ${limit} characters to fit ${target}; review it.`);
  return text.slice(0, limit);
}

/** Short metadata text (creator, version, nickname), cut to the metadata limit with a report. */
export function metadataOf(value: unknown, fromPath: string, target: string, report: ImportReportBuilder): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (!text) return undefined;
  report.map(fromPath, target);
  return fitText(text, target, fromPath, report, PERSONA_LIMITS.metadataChars);
}

/**
 * Tags lower-cased, with characters the tag rule refuses turned into spaces. Every tag is kept up to the persona's
 * limit; duplicates are merged silently, and a tag that still breaks the rule is reported by name.
 */
export function normalizeTags(value: unknown, fromPath: string, report: ImportReportBuilder, into: string[] = []): string[] {
  if (value === undefined || value === null) return into;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items)) {
    report.drop(fromPath, 'not a list of tags');
    return into;
  }
  const tags = into;
  items.forEach((item, index) => {
    const itemPath = `${fromPath}[${index}]`;
    if (typeof item !== 'string') return report.drop(itemPath, 'not text');
    const tag = item
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^[ _-]+/, '');
    if (!tag) return item.trim() ? report.drop(`${itemPath} "${item.slice(0, 40)}"`, 'no letters or digits left to make a tag') : undefined;
    if (!TAG_PATTERN.test(tag)) return report.drop(`${itemPath} "${item.slice(0, 40)}"`, `longer than ${PERSONA_LIMITS.tagChars} characters, the most a tag holds`);
    if (tags.includes(tag)) return;
    if (tags.length >= PERSONA_LIMITS.tags) return report.drop(`${itemPath} "${tag}"`, `a persona has at most ${PERSONA_LIMITS.tags} tags`);
    tags.push(tag);
  });
  return tags;
}
