// An Eliza character's `knowledge` (v0.1, v1) and `documents` (later line): the text items inside the file become
// one knowledge document for the persona; items that point at files or folders are reported, since the files are
// not in the character and must be uploaded on their own.
import type { ImportReportBuilder } from './import-report';
import { isRecord } from './persona-fields';

/** A knowledge document to create with the imported persona (plain text; the gateway validates and indexes it). */
export interface ImportedKnowledge {
  title: string;
  mediaType: 'text/plain';
  content: string;
}

const KNOWLEDGE_KEYS = ['knowledge', 'documents'] as const;

export function elizaKnowledge(file: Record<string, unknown>, characterName: string, report: ImportReportBuilder, fromPrefix = ''): ImportedKnowledge[] {
  const documents: ImportedKnowledge[] = [];
  for (const key of KNOWLEDGE_KEYS) {
    const value = file[key];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      report.drop(`${fromPrefix}${key}`, 'not a list of knowledge items');
      continue;
    }
    const texts: string[] = [];
    value.forEach((item, index) => {
      const itemPath = `${fromPrefix}${key}[${index}]`;
      if (typeof item === 'string') {
        if (item.trim()) texts.push(item.trim());
      } else if (isRecord(item) && (typeof item.path === 'string' || typeof item.directory === 'string')) {
        report.drop(itemPath, `refers to ${String(item.path ?? item.directory)}, which is not inside the character; upload that file as a knowledge document`);
      } else {
        report.drop(itemPath, 'not a text item');
      }
    });
    if (texts.length === 0) continue;
    documents.push({ title: `${characterName.trim() || 'Character'} ${key} (imported)`, mediaType: 'text/plain', content: texts.join('\n\n') });
    report.map(`${fromPrefix}${key}`, 'knowledge documents');
  }
  return documents;
}
