// Standalone lorebook files: SillyTavern World Info (`entries` keyed by number), Chub's exports of it, Agnai memory
// books (`kind: "memory"`, a list of entries) and the V3 spec's `lorebook_v3` wrapper.
import type { Lorebook } from '@doppel/personas';
import type { ImportReportBuilder, LorebookFormat } from './import-report';
import { isRecord } from './persona-fields';
import { lorebookFromWorldInfo, type WorldInfoOptions } from './world-info';

export function lorebookFormatOf(file: Record<string, unknown>): LorebookFormat | null {
  if (file.spec === 'lorebook_v3' && isRecord(file.data)) return 'lorebook-v3';
  if (file.kind === 'memory' && Array.isArray(file.entries)) return 'agnai-memory-book';
  if (isRecord(file.entries) || (Array.isArray(file.entries) && !('spec' in file) && !('first_mes' in file) && !('bio' in file))) return 'sillytavern-world-info';
  return null;
}

/** The book, named after the file when it names nothing itself; undefined (with the reason reported) when no entry works. */
export function mapLorebookFile(file: Record<string, unknown>, format: LorebookFormat, fileName: string | undefined, report: ImportReportBuilder, options: WorldInfoOptions): Lorebook | undefined {
  const book = format === 'lorebook-v3' ? (file.data as Record<string, unknown>) : file;
  const lorebook = lorebookFromWorldInfo(book, format === 'lorebook-v3' ? 'data' : '(book)', report, options);
  if (!lorebook) return undefined;
  return { ...lorebook, name: lorebook.name ?? nameFromFile(fileName) };
}

function nameFromFile(fileName: string | undefined): string {
  const base = (fileName ?? '').replace(/^.*[\\/]/, '').replace(/\.(json|lorebook)$/i, '').trim();
  return base.slice(0, 256) || 'Imported lorebook';
}
