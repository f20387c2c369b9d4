// The lightweight fact extractor: first-person statements a user makes about themselves ("my name is Ada",
// "I live in Lisbon", "I'm allergic to nuts") become short third-person memory items ("Their name is Ada.").
// Rule-based on purpose: it runs on every turn, costs microseconds, never invents a fact the user did not state,
// and works the same whatever chat model serves the persona. It misses paraphrases; questions, negations and
// hypotheticals ("if I lived in…", "I don't like…") are left alone because the patterns need the plain statement.

/** At most this many facts are taken from one message. */
export const MAX_FACTS_PER_MESSAGE = 5;
const MAX_OBJECT_WORDS = 8;

interface FactPattern {
  pattern: RegExp;
  fact: (match: RegExpMatchArray) => string | null;
}

const OBJECT = "([^,;:()]+)";

const PATTERNS: FactPattern[] = [
  { pattern: /\b[Mm]y name is ([A-Z][\p{L}'-]*(?: [A-Z][\p{L}'-]*)?)/u, fact: (m) => `Their name is ${m[1]}.` },
  { pattern: /\b(?:[Pp]lease )?[Cc]all me ([A-Z][\p{L}'-]*)/u, fact: (m) => `They like to be called ${m[1]}.` },
  { pattern: /\bI(?:'m| am) (\d{1,3}) years? old\b/i, fact: (m) => `They are ${m[1]} years old.` },
  { pattern: new RegExp(`\\bI live in ${OBJECT}`, 'i'), fact: (m) => objectFact('They live in', m[1]) },
  { pattern: new RegExp(`\\bI(?:'m| am) from ${OBJECT}`, 'i'), fact: (m) => objectFact('They are from', m[1]) },
  { pattern: new RegExp(`\\bI work (as|at|for|in|on) ${OBJECT}`, 'i'), fact: (m) => objectFact(`They work ${m[1]!.toLowerCase()}`, m[2]) },
  { pattern: new RegExp(`\\bI(?:'m| am) allergic to ${OBJECT}`, 'i'), fact: (m) => objectFact('They are allergic to', m[1]) },
  { pattern: new RegExp(`\\bI(?:'m| am) (?!a bit\\b|a little\\b|a lot\\b)(an? ${OBJECT})`, 'i'), fact: (m) => objectFact('They are', m[1]) },
  {
    pattern: new RegExp(`\\bI (?:really )?(love|like|enjoy|hate|dislike|prefer) ${OBJECT}`, 'i'),
    fact: (m) => objectFact(`They ${m[1]!.toLowerCase()}`, m[2]),
  },
  { pattern: new RegExp(`\\bmy favou?rite ([\\p{L} ]{1,30}?) is ${OBJECT}`, 'iu'), fact: (m) => objectFact(`Their favorite ${m[1]!.toLowerCase()} is`, m[2]) },
  {
    pattern: new RegExp(`\\bmy (wife|husband|partner|son|daughter|dog|cat|brother|sister|mother|father|mom|dad)(?:'s name)? is ${OBJECT}`, 'i'),
    fact: (m) => objectFact(`Their ${m[1]!.toLowerCase()} is`, m[2]),
  },
  { pattern: new RegExp(`\\bI have (an? |one |two |three |\\d+ )${OBJECT}`, 'i'), fact: (m) => objectFact(`They have ${m[1]!.toLowerCase()}`.trimEnd(), m[2]) },
];

/** Short third-person facts stated in a user's message, in the order they appear, without duplicates. */
export function extractFacts(text: string): string[] {
  const facts: string[] = [];
  const seen = new Set<string>();
  for (const sentence of sentencesOf(text)) {
    for (const { pattern, fact } of PATTERNS) {
      const match = sentence.match(pattern);
      const extracted = match ? fact(match) : null;
      if (!extracted || seen.has(extracted.toLowerCase())) continue;
      seen.add(extracted.toLowerCase());
      facts.push(extracted);
      if (facts.length === MAX_FACTS_PER_MESSAGE) return facts;
    }
  }
  return facts;
}

/** Statements only: questions are dropped, and so are sentences about someone else's hypothetical. */
function sentencesOf(text: string): string[] {
  return (text.match(/[^.!?\n]+[.!?]*/g) ?? [])
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0 && !sentence.endsWith('?') && !/^\s*(if|when|would|could|suppose)\b/i.test(sentence));
}

/** "They live in" + "Lisbon and I love it" → "They live in Lisbon." (one clause, first person turned into third). */
function objectFact(prefix: string, rawObject: string | undefined): string | null {
  if (!rawObject) return null;
  const clause = rawObject.split(/\s+(?:and|but|because|so|although|though|which|who)\s+/i)[0]!.replace(/[.!?\s]+$/, '').trim();
  const words = clause.split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > MAX_OBJECT_WORDS) return null;
  const object = words.map(thirdPerson).join(' ');
  return `${prefix} ${object}.`;
}

function thirdPerson(word: string): string {
  switch (word.toLowerCase()) {
    case 'my':
      return 'their';
    case 'me':
      return 'them';
    case 'myself':
      return 'themselves';
    case 'mine':
      return 'theirs';
    default:
      return word;
  }
}
