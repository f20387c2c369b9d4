import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrationFiles } from './migrator';

describe('migration files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses two files with the same version, naming both', async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-migrations-'));
    await writeFile(join(dir, '0001_first.sql'), 'SELECT 1;');
    await writeFile(join(dir, '0002_wallets.sql'), 'SELECT 2;');
    await writeFile(join(dir, '0002_level_sets.sql'), 'SELECT 3;');
    await expect(readMigrationFiles(dir)).rejects.toThrow(/0002_level_sets\.sql and migrations\/0002_wallets\.sql share version 0002/);
  });

  it('reads the project migrations in order with distinct versions', async () => {
    const files = await readMigrationFiles(join(__dirname, '../../../migrations'));
    expect(files.map((file) => file.version)).toEqual([...new Set(files.map((file) => file.version))].sort());
  });
});
