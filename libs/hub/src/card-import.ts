// Loads a folder of model cards into the hub as listings (cards without files): the seed catalogue.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { HubService } from './hub.service';

export interface CardImportReport {
  published: string[];
  alreadyPublished: string[];
  failed: { file: string; reason: string }[];
}

export async function importCardFolder(hub: HubService, publisherId: string, folder: string, onProgress: (line: string) => void = () => {}): Promise<CardImportReport> {
  const files = (await readdir(folder)).filter((file) => file.endsWith('.md') && file.toLowerCase() !== 'readme.md').sort();
  const report: CardImportReport = { published: [], alreadyPublished: [], failed: [] };
  for (const file of files) {
    try {
      const record = await hub.publishListing(publisherId, await readFile(join(folder, file), 'utf8'));
      report.published.push(`${record.name}@${record.version}`);
    } catch (error) {
      if (error instanceof DoppelError && error.code === ErrorCode.HubVersionExists) report.alreadyPublished.push(file);
      else report.failed.push({ file, reason: (error as Error).message });
    }
    const done = report.published.length + report.alreadyPublished.length + report.failed.length;
    if (done % 500 === 0) onProgress(`${done}/${files.length} cards`);
  }
  return report;
}
