import type { PersonaVersion } from '@doppel/personas';
import { describe, expect, it, vi } from 'vitest';
import { PersonaVersionCache } from './persona-version-cache';

function version(id: string): PersonaVersion {
  return {
    id,
    personaId: 'persona-1',
    version: 1,
    contentHash: `hash-${id}`,
    definition: {
      name: 'Ada',
      description: '',
      personality: '',
      systemPrompt: '',
      greeting: '',
      exampleDialogues: [],
      tags: [],
      defaultModel: 'synthetic',
      generation: { maxTokens: 256, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [] },
      minVerification: 'none',
    },
    createdAt: new Date(0),
  };
}

const loaderOf = () => vi.fn(async (versionId: string) => version(versionId));

describe('PersonaVersionCache', () => {
  it('loads each version once, and serves later calls from the cache', async () => {
    const load = loaderOf();
    const cache = new PersonaVersionCache(load);
    const first = await cache.get('v1');
    expect(first.id).toBe('v1');
    expect(await cache.get('v1')).toBe(first);
    expect((await cache.get('v2')).id).toBe('v2');
    expect(load.mock.calls).toEqual([['v1'], ['v2']]);
  });

  it('shares one load between concurrent callers', async () => {
    const load = loaderOf();
    const cache = new PersonaVersionCache(load);
    const [a, b] = await Promise.all([cache.get('v1'), cache.get('v1')]);
    expect(a).toBe(b);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('evicts the least recently used version beyond maxEntries', async () => {
    const load = loaderOf();
    const cache = new PersonaVersionCache(load, 2);
    await cache.get('v1');
    await cache.get('v2');
    await cache.get('v1'); // v1 is now the most recently used, v2 the least
    await cache.get('v3'); // evicts v2
    expect(load.mock.calls).toEqual([['v1'], ['v2'], ['v3']]);

    await cache.get('v1');
    await cache.get('v3');
    expect(load).toHaveBeenCalledTimes(3);
    await cache.get('v2');
    expect(load.mock.calls.at(-1)).toEqual(['v2']);
    expect(load).toHaveBeenCalledTimes(4);
  });

  it('does not cache a failed load', async () => {
    const load = vi
      .fn<(versionId: string) => Promise<PersonaVersion>>()
      .mockRejectedValueOnce(new Error('database down'))
      .mockImplementation(async (versionId) => version(versionId));
    const cache = new PersonaVersionCache(load);
    await expect(cache.get('v1')).rejects.toThrow('database down');
    const retried = await cache.get('v1');
    expect(retried.id).toBe('v1');
    expect(load).toHaveBeenCalledTimes(2);
    expect(await cache.get('v1')).toBe(retried);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
