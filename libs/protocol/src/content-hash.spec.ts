import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';
import { personaContentHash, sha256Hex } from './content-hash';

const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

describe('canonicalJson', () => {
  it('sorts object keys, at every depth, with no whitespace', () => {
    const json = canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } });
    expect(json).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
    expect(JSON.parse(json)).toEqual({ b: 1, a: { d: [true, null], c: 'x' } });
  });

  it('does not depend on the order keys were inserted in', () => {
    const forward = { name: 'Ada', tags: ['x'], generation: { topP: 0.9, maxTokens: 5 } };
    const backward = { generation: { maxTokens: 5, topP: 0.9 }, tags: ['x'], name: 'Ada' };
    expect(canonicalJson(backward)).toBe(canonicalJson(forward));
  });

  it('sorts objects that sit inside arrays', () => {
    expect(canonicalJson([{ z: 1, y: 2 }, { x: 3, w: 4 }])).toBe('[{"y":2,"z":1},{"w":4,"x":3}]');
  });

  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
  });

  it('sorts keys by UTF-16 code units, not by locale', () => {
    // 'B' (0x42) < 'a' (0x61) < 'é' (0xe9); a locale sort would put 'a' first and 'é' next to 'e'.
    expect(canonicalJson({ é: 1, a: 2, B: 3, e: 4 })).toBe('{"B":3,"a":2,"e":4,"é":1}');
  });

  it('writes scalars as JSON.stringify does', () => {
    for (const value of ['he said "hi"\n', 0, -1.5, 1e21, true, false, null, '']) {
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    }
  });

  it('rejects NaN, Infinity and undefined, at the top and nested', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ nested: { score: Number.NaN } })).toThrow(TypeError);
    expect(() => canonicalJson([1, undefined])).toThrow(TypeError);
  });

  it('leaves out object properties whose value is undefined, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });
});

describe('personaContentHash', () => {
  const definition = {
    name: 'Ada',
    description: 'A mathematician from London.',
    exampleDialogues: [{ user: 'Hi', persona: 'Good day.' }],
    generation: { maxTokens: 256, stop: ['\n\n'], temperature: 0.8 },
  };

  it('is the lowercase hex sha256 of the canonical JSON', () => {
    const hash = personaContentHash(definition);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(sha256(canonicalJson(definition)));
    expect(sha256Hex('Ünïcödé')).toBe(sha256('Ünïcödé'));
  });

  it('is the same for the same content in any key order, and changes with the content', () => {
    const reordered = { generation: { temperature: 0.8, stop: ['\n\n'], maxTokens: 256 }, exampleDialogues: definition.exampleDialogues, description: definition.description, name: 'Ada' };
    expect(personaContentHash(reordered)).toBe(personaContentHash(definition));
    expect(personaContentHash({ ...definition, name: 'Ada L.' })).not.toBe(personaContentHash(definition));
  });
});
