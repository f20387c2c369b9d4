import { describe, expect, it } from 'vitest';
import { clientJsonProblem, errorCodeOfClientJsonProblem } from './client-json';
import { ErrorCode } from './error-codes';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = [value];
  return value;
};

describe('clientJsonProblem', () => {
  it('accepts ordinary documents, emoji included', () => {
    expect(clientJsonProblem({ name: 'Ada 👩‍🔬', tags: ['a', 'b'], lorebook: { entries: [{ keys: ['x'], n: 1, ok: true, none: null }] } })).toBeNull();
    expect(clientJsonProblem(nested(64))).toBeNull();
  });

  it('refuses nesting past the limit without recursing: 10,000 and 1,000,000 levels', () => {
    expect(clientJsonProblem(nested(65))).toMatchObject({ kind: 'too-deep', message: expect.stringContaining('nested more than 64 levels') });
    // JSON.parse builds these iteratively; a recursive walk overflows the stack on them.
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(clientJsonProblem(deep)).toMatchObject({ kind: 'too-deep' });
    expect(clientJsonProblem(nested(1_000_000))).toMatchObject({ kind: 'too-deep' });
    expect(errorCodeOfClientJsonProblem(clientJsonProblem(deep)!)).toBe(ErrorCode.PayloadTooComplex);
  });

  it('refuses documents with too many values', () => {
    const wide = { items: Array.from({ length: 300_000 }, () => 0) };
    expect(clientJsonProblem(wide)).toMatchObject({ kind: 'too-many-values' });
    expect(clientJsonProblem(wide, { maxDepth: 64, maxNodes: 400_000 })).toBeNull();
  });

  it('names the string or key holding a NUL or an unpaired surrogate', () => {
    expect(clientJsonProblem({ persona: { name: 'a\u0000b' } })).toMatchObject({ kind: 'nul', path: 'persona.name' });
    expect(clientJsonProblem({ tags: ['ok', 'x\uD800y'] })).toMatchObject({
      kind: 'unpaired-surrogate',
      path: 'tags[1]',
      message: 'tags[1] contains an unpaired UTF-16 surrogate (\\uD800 at index 1), which is not Unicode text',
    });
    expect(clientJsonProblem({ ['key\uDC00']: 1 })).toMatchObject({ kind: 'unpaired-surrogate', path: 'key\uDC00' });
    expect(clientJsonProblem('\uDBFF')).toMatchObject({ path: '', message: expect.stringMatching(/^\(root\) contains/) });
    expect(errorCodeOfClientJsonProblem(clientJsonProblem('\uDBFF')!)).toBe(ErrorCode.ValidationFailed);
  });
});
