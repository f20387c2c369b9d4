import { describe, expect, it } from 'vitest';
import { canonicalJson as serverCanonicalJson } from '@doppel/protocol';
import { canonicalJson } from '../src/canonical-json';

describe('the browser canonical JSON', () => {
  it('writes what the server hashes, byte for byte', () => {
    const samples: unknown[] = [
      { tokenIds: [3, 1, 2] },
      { text: 'Grüße, "quoted" \\ back\nline 🚢', tokenIds: null },
      { stop: [], seed: 42, temperature: 0.8, topP: 0.95, maxTokens: 48, repetitionPenalty: 1.1, topK: 40 },
      [{ id: 'b', contentHash: 'x' }, { id: 'a', contentHash: 'y' }],
      { Z: 1, a: { c: [true, false], b: 'é' }, _: undefined },
    ];
    for (const sample of samples) expect(canonicalJson(sample)).toBe(serverCanonicalJson(sample as never));
  });
});
