import { describe, expect, it } from 'vitest';
import { extractFacts } from './fact-extractor';
import { factSlot } from './fact-slots';

const slotOf = (message: string) => factSlot(extractFacts(message)[0]!)?.key ?? null;

describe('factSlot', () => {
  it('puts facts that contradict each other in the same slot', () => {
    expect(slotOf('I live in Lisbon.')).toBe('home');
    expect(slotOf('I live in Porto now.')).toBe('home');
    expect(slotOf('My name is Ada.')).toBe('name');
    expect(slotOf("I'm 34 years old.")).toBe('age');
    expect(slotOf('I work as a nurse.')).toBe('job');
    expect(slotOf('My favorite color is green.')).toBe('favorite color');
    expect(slotOf('My favourite band is Low.')).toBe('favorite band');
  });

  it('leaves facts that accumulate, and lookalikes, out of every slot', () => {
    expect(slotOf('I like jazz.')).toBeNull();
    expect(slotOf('I have a cat.')).toBeNull();
    expect(slotOf("I'm a nurse.")).toBeNull();
    expect(slotOf('I work at a bakery.')).toBeNull();
  });

  it('gives a prefix every fact of the slot starts with', () => {
    for (const message of ['I live in Lisbon.', "I'm 34 years old.", 'My favorite color is green.']) {
      const fact = extractFacts(message)[0]!;
      expect(fact.startsWith(factSlot(fact)!.prefix)).toBe(true);
    }
  });
});
