// The committed .sql beside each repository is what its code compiles to today.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSql, generateQueryFiles } from './hot-queries';

const root = resolve(__dirname, '../..');

describe('generated queries', () => {
  it('match the committed .sql files (run npm run queries:generate after changing a query)', async () => {
    const stale: string[] = [];
    for (const [file, text] of await generateQueryFiles()) {
      const path = resolve(root, file);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(file);
    }
    expect(stale, `these files differ from what the code compiles to; run npm run queries:generate and commit them: ${stale.join(', ')}`).toEqual([]);
  });

  it('puts each top-level clause of a builder statement on its own line, leaving quoted text and subqueries alone', () => {
    expect(formatSql('select "a" from "t" where "b" = $1 and "c" in (select "d" from "e" where "f" = \'x and y\') order by "a" limit $2')).toBe(
      'select "a"\nfrom "t"\nwhere "b" = $1\n  and "c" in (select "d" from "e" where "f" = \'x and y\')\norder by "a"\nlimit $2',
    );
  });
});
