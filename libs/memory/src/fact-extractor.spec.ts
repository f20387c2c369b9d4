import { describe, expect, it } from 'vitest';
import { extractFacts, MAX_FACTS_PER_MESSAGE } from './fact-extractor';

describe('extractFacts', () => {
  it('turns first-person statements into third-person facts, one clause each', () => {
    expect(extractFacts('Hi! My name is Ada Lovelace and I live in Lisbon. I work as a nurse at night.')).toEqual([
      'Their name is Ada Lovelace.',
      'They live in Lisbon.',
      'They work as a nurse at night.',
    ]);
  });

  it('handles ages, allergies, likes, favourites, family and possessions', () => {
    expect(extractFacts("I'm 34 years old. I'm allergic to peanuts! I really love my garden. My favourite band is Khruangbin."))
      .toEqual(['They are 34 years old.', 'They are allergic to peanuts.', 'They love their garden.', 'Their favorite band is Khruangbin.']);
    expect(extractFacts("My dog's name is Rex. I have two cats")).toEqual(['Their dog is Rex.', 'They have two cats.']);
  });

  it('leaves questions, hypotheticals, negations and small talk alone', () => {
    expect(extractFacts('Do you live in Lisbon? If I lived in Porto I would surf. I don’t like rain. How are you today?')).toEqual([]);
    expect(extractFacts("I'm a bit tired")).toEqual([]);
    expect(extractFacts('What is my name?')).toEqual([]);
  });

  it('drops long rambling objects instead of storing a paragraph as a fact', () => {
    expect(extractFacts('I live in a place where the trains never come on time even when the weather is fine')).toEqual([]);
  });

  it('removes duplicates and caps the number of facts per message', () => {
    expect(extractFacts('My name is Bo. My name is Bo.')).toEqual(['Their name is Bo.']);
    const many = 'I live in Oslo. I work at a bank. I love skiing. I hate rain. I have a cat. I am from Bergen. I prefer tea.';
    expect(extractFacts(many)).toHaveLength(MAX_FACTS_PER_MESSAGE);
  });
});
