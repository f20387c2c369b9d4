import { describe, expect, it } from 'vitest';
import { isRestatement } from './fact-dedup';

describe('isRestatement', () => {
  it('treats the same fact, in any case or punctuation, or with words added, as a restatement', () => {
    expect(isRestatement('Their name is Ada.', 'their name is ada')).toBe(true);
    expect(isRestatement('They live in Lisbon now.', 'They live in Lisbon.')).toBe(true);
    expect(isRestatement('They work as a nurse.', 'They work as a nurse at the hospital.')).toBe(true);
  });

  it('keeps a fact with a different value, however close its embedding', () => {
    expect(isRestatement('Their favorite color is blue.', 'Their favorite color is green.')).toBe(false);
    expect(isRestatement('Their name is Adam.', 'Their name is Ada.')).toBe(false);
    expect(isRestatement('They have a cat.', 'They have a dog.')).toBe(false);
  });
});
