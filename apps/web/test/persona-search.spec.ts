import { describe, expect, it } from 'vitest';
import { matchesSearch } from '../src/persona-search';

const persona = (name: string, tags: string[], description = '') => ({ definition: { name, tags, description } }) as Parameters<typeof matchesSearch>[0];

describe('gallery search', () => {
  it('matches name, description or tag, case-insensitively; an empty query matches all', () => {
    const ada = persona('Ada', ['demo', 'storyteller'], 'A retired lighthouse keeper');
    expect(matchesSearch(ada, '')).toBe(true);
    expect(matchesSearch(ada, 'ADA')).toBe(true);
    expect(matchesSearch(ada, '#story')).toBe(true);
    expect(matchesSearch(ada, 'lighthouse')).toBe(true);
    expect(matchesSearch(ada, 'pirate')).toBe(false);
  });
});
