// Some facts hold one value at a time: a person has one name, one age, one home, one favourite colour. A new fact in
// such a slot replaces the one it contradicts ("They live in Porto." after "They live in Lisbon."); facts outside
// the slots ("They like jazz.", "They have a cat.") accumulate.

export interface FactSlot {
  /** Facts with the same key contradict each other. */
  key: string;
  /** Every fact of the slot starts with this text (for a prefix lookup among stored facts). */
  prefix: string;
}

const SLOTS: { pattern: RegExp; slot: (match: RegExpMatchArray) => FactSlot }[] = [
  { pattern: /^Their name is /, slot: () => ({ key: 'name', prefix: 'Their name is ' }) },
  { pattern: /^They like to be called /, slot: () => ({ key: 'called', prefix: 'They like to be called ' }) },
  { pattern: /^They are \d{1,3} years old\.$/, slot: () => ({ key: 'age', prefix: 'They are ' }) },
  { pattern: /^They live in /, slot: () => ({ key: 'home', prefix: 'They live in ' }) },
  { pattern: /^They work as /, slot: () => ({ key: 'job', prefix: 'They work as ' }) },
  { pattern: /^Their favorite (.+?) is /, slot: (match) => ({ key: `favorite ${match[1]}`, prefix: `Their favorite ${match[1]} is ` }) },
];

/** The single-valued slot an extracted fact fills, or null when facts like it accumulate. */
export function factSlot(fact: string): FactSlot | null {
  for (const { pattern, slot } of SLOTS) {
    const match = fact.match(pattern);
    if (match) return slot(match);
  }
  return null;
}
