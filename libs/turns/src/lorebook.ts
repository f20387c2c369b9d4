// Which lorebook entries a turn triggers: keys matched against the latest messages, as a card's lorebook expects.
// Runs on the worker's turn path and in the gateway's prompt preview, so its cost must stay bounded whatever the
// creator wrote: regex keys go through a linear-time engine on a bounded window, within a time budget per scan.
import { compileLorebookRegex, type CompiledLorebookRegex, type Lorebook, type LorebookEntry } from '@doppel/personas';

const MAX_SCAN_CHARS = 20_000;
/**
 * Program size × characters one regex test may cost. The engine's worst case (a lazily built DFA that keeps missing
 * its cache) is about 0.08 µs per unit once V8 has optimised it and ~1 µs before, so one test stays near 2.5 ms (30 ms
 * while the process is new to it). A typical key (program size 10–30) scans the last 1,000–3,000 characters, the
 * most complex allowed (100) the last 300.
 */
const REGEX_TEST_WORK = 30_000;
/** Time all regex tests of one scan may take together; keys left when it is spent count as not matching. */
export const REGEX_SCAN_BUDGET_MS = 10;
/** Compiled keys kept per process; only keys that matched cheaply are kept (a DFA that blew up holds megabytes). */
const COMPILED_CACHE_SIZE = 512;
const CHEAP_TEST_MS = 1;

const compiledKeys = new Map<string, CompiledLorebookRegex | null>();

const cacheKeyOf = (key: string, caseSensitive: boolean) => `${caseSensitive ? 's' : 'i'}:${key}`;

function compiled(key: string, caseSensitive: boolean): CompiledLorebookRegex | null {
  const cacheKey = cacheKeyOf(key, caseSensitive);
  const hit = compiledKeys.get(cacheKey);
  if (hit !== undefined) {
    // Re-inserting keeps the Map in least-recently-used order.
    compiledKeys.delete(cacheKey);
    compiledKeys.set(cacheKey, hit);
    return hit;
  }
  let regex: CompiledLorebookRegex | null;
  try {
    regex = compileLorebookRegex(key, caseSensitive);
  } catch {
    // Saved before keys were validated: a key that does not compile never matches.
    regex = null;
  }
  compiledKeys.set(cacheKey, regex);
  if (compiledKeys.size > COMPILED_CACHE_SIZE) compiledKeys.delete(compiledKeys.keys().next().value!);
  return regex;
}

/** One scan's window and what is left of its regex budget. */
class KeyScan {
  private readonly lowerCaseWindow: string;
  private readonly deadline: number;

  constructor(
    private readonly window: string,
    budgetMs: number,
    private readonly now: () => number,
  ) {
    this.lowerCaseWindow = window.toLowerCase();
    this.deadline = now() + budgetMs;
  }

  matches(key: string, entry: LorebookEntry): boolean {
    if (!entry.useRegex) return entry.caseSensitive ? this.window.includes(key) : this.lowerCaseWindow.includes(key.toLowerCase());
    if (this.now() >= this.deadline) return false;
    const started = this.now();
    const regex = compiled(key, entry.caseSensitive);
    if (!regex) return false;
    const chars = Math.max(1, Math.floor(REGEX_TEST_WORK / Math.max(1, regex.programSize())));
    const matched = regex.test(this.window.length > chars ? this.window.slice(-chars) : this.window);
    if (this.now() - started > CHEAP_TEST_MS) compiledKeys.delete(cacheKeyOf(key, entry.caseSensitive));
    return matched;
  }
}

/** Entries that fire for this window of messages (oldest first), in insertion order. */
export function triggeredLoreEntries(
  lorebook: Lorebook,
  recentMessages: readonly string[],
  regexBudgetMs = REGEX_SCAN_BUDGET_MS,
  now: () => number = () => performance.now(),
): { index: number; entry: LorebookEntry }[] {
  const scan = new KeyScan(recentMessages.slice(-lorebook.scanDepth).join('\n').slice(-MAX_SCAN_CHARS), regexBudgetMs, now);
  return lorebook.entries
    .map((entry, index) => ({ index, entry }))
    .filter(({ entry }) => {
      if (!entry.enabled) return false;
      if (entry.constant) return true;
      if (!entry.keys.some((key) => scan.matches(key, entry))) return false;
      return entry.secondaryKeys.length === 0 || entry.secondaryKeys.some((key) => scan.matches(key, entry));
    })
    .sort((a, b) => a.entry.insertionOrder - b.entry.insertionOrder || a.index - b.index);
}
