// The reply measures of the chat quality benchmark, pure so they can be checked on hand-made replies.

export interface ScoredReply {
  user: string;
  text: string;
  tag: string;
  /** One of these words in the reply counts as using what the runtime gave the model. */
  expects?: string[];
  /** The user never said it: an honest reply says so. */
  expectsUnknown?: boolean;
  reply: string;
  /** The model closed the turn itself (end-of-turn token) instead of running into maxTokens. */
  endedTurn: boolean;
  /** Everything the model was shown, for names it may repeat (the persona's, the user's, places). */
  promptText: string;
  memoriesInPrompt: number;
}

const WORD = /[A-Za-z]+(?:'[A-Za-z]+)*/g;
const CONTRACTION_ENDINGS = new Set(['s', 't', 're', 've', 'll', 'd', 'm']);
const HONEST_UNKNOWN = /\b(not told|never told|never said|haven't told|have not told|don't know|do not know|not sure|no idea|didn't say|did not say)\b/i;
const GREETING_WORDS = /^(hello|hi|hey|evening|good|morning|welcome|ah|well|greetings|howdy)\b/i;

export function wordsOf(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** A word is English when the list has it (contractions by their stem), or when the prompt gave it (a name, a place). */
export function isKnownWord(word: string, dictionary: ReadonlySet<string>, promptWords: ReadonlySet<string>): boolean {
  const lower = word.toLowerCase();
  if (dictionary.has(lower) || promptWords.has(lower)) return true;
  const apostrophe = lower.indexOf("'");
  if (apostrophe > 0) {
    const stem = lower.slice(0, apostrophe);
    const ending = lower.slice(apostrophe + 1);
    return CONTRACTION_ENDINGS.has(ending) && (dictionary.has(stem) || promptWords.has(stem) || stem === 'won' || stem === 'can');
  }
  return false;
}

/** Complete sentences: the model ended the turn, and each sentence starts with a capital (or digit) and ends with . ! or ?. */
export function isCompleteSentences(reply: string, endedTurn: boolean): boolean {
  const text = reply.trim();
  if (!endedTurn || text.length === 0) return false;
  const sentences = text.split(/(?<=[.!?]["')]?)\s+/);
  return sentences.every((sentence) => /^["'(]?[A-Z0-9]/.test(sentence) && /[.!?]["')]?$/.test(sentence) && wordsOf(sentence).length > 0);
}

function contains(reply: string, words: readonly string[]): boolean {
  return words.some((word) => new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(reply));
}

function share(count: number, total: number): number {
  return total === 0 ? 0 : count / total;
}

export function normaliseLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function replyMetrics(replies: readonly ScoredReply[], dictionary: ReadonlySet<string>, trainingLines: ReadonlySet<string> | null) {
  let words = 0;
  let known = 0;
  let unknownCapitalised = 0;
  const unknown = new Map<string, number>();
  const unigrams = new Set<string>();
  const bigrams = new Set<string>();
  let unigramCount = 0;
  let bigramCount = 0;
  for (const reply of replies) {
    const promptWords = new Set(wordsOf(reply.promptText).map((word) => word.toLowerCase()));
    const replyWords = wordsOf(reply.reply);
    for (const word of replyWords) {
      words++;
      if (isKnownWord(word, dictionary, promptWords)) known++;
      else {
        unknown.set(word, (unknown.get(word) ?? 0) + 1);
        if (/^[A-Z][a-z]/.test(word)) unknownCapitalised++;
      }
    }
    const lower = replyWords.map((word) => word.toLowerCase());
    lower.forEach((word) => unigrams.add(word));
    unigramCount += lower.length;
    for (let i = 1; i < lower.length; i++) bigrams.add(`${lower[i - 1]} ${lower[i]}`);
    bigramCount += Math.max(0, lower.length - 1);
  }
  const tally = (selected: ScoredReply[], test: (reply: ScoredReply) => boolean) => ({ asked: selected.length, used: selected.filter(test).length });
  const withExpects = (tag: string) => replies.filter((reply) => reply.tag === tag && reply.expects);
  return {
    replies: replies.length,
    englishWordShare: share(known, words),
    completeSentenceShare: share(replies.filter((reply) => isCompleteSentences(reply.reply, reply.endedTurn)).length, replies.length),
    distinct1: share(unigrams.size, unigramCount),
    distinct2: share(bigrams.size, bigramCount),
    verbatimTrainingRepeatShare: trainingLines ? share(replies.filter((reply) => trainingLines.has(normaliseLine(reply.reply))).length, replies.length) : null,
    recall: tally(withExpects('recall'), (reply) => contains(reply.reply, reply.expects!)),
    unknownRecall: (() => {
      const asked = replies.filter((reply) => reply.expectsUnknown);
      return { asked: asked.length, honest: asked.filter((reply) => HONEST_UNKNOWN.test(reply.reply)).length };
    })(),
    persona: tally(withExpects('persona'), (reply) => contains(reply.reply, reply.expects!)),
    acknowledged: tally(withExpects('fact'), (reply) => contains(reply.reply, reply.expects!)),
    greetsBack: tally(replies.filter((reply) => reply.tag === 'greeting'), (reply) => GREETING_WORDS.test(reply.reply.trim())),
    endedTurnShare: share(replies.filter((reply) => reply.endedTurn).length, replies.length),
    meanWords: share(words, replies.length),
    /** Misses by kind: a capitalised word (a name or place the prompt did not give: a wrong fact, or an invented
     * word at a sentence start) and the rest (invented or broken words). */
    unknownWordCounts: { capitalised: unknownCapitalised, other: words - known - unknownCapitalised },
    unknownWords: [...unknown.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([word]) => word),
  };
}
