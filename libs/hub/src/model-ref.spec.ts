import { describe, expect, it } from 'vitest';
import { parseModelRef } from './model-ref';

const hash = 'ab'.repeat(32);

describe('model references', () => {
  it('reads hashes (bare or as a receipt writes them), names and name@version', () => {
    expect(parseModelRef(hash)).toEqual({ kind: 'hash', modelHash: hash });
    expect(parseModelRef(`0x${hash.toUpperCase()}`)).toEqual({ kind: 'hash', modelHash: hash });
    expect(parseModelRef('nano-chat')).toEqual({ kind: 'name', name: 'nano-chat', version: 'latest' });
    expect(parseModelRef('nano-chat@3')).toEqual({ kind: 'name', name: 'nano-chat', version: 3 });
    expect(parseModelRef('nano-chat@latest')).toEqual({ kind: 'name', name: 'nano-chat', version: 'latest' });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'Nano', 'nano@0', 'nano@1.2', 'nano@', '../etc', `${hash}0`, 'a@b@1']) expect(parseModelRef(text)).toBeNull();
  });
});
