// Which lorebook entries a turn triggers: keys matched against the latest messages, as a card's lorebook expects.
import type { Lorebook, LorebookEntry } from '@doppel/personas';

/** Regexes run on a bounded window only; a key that does not compile never matches. */
const MAX_SCAN_CHARS = 20_000;

function keyMatches(key: string, text: string, entry: LorebookEntry): boolean {
  if (entry.useRegex) {
    try {
      return new RegExp(key, entry.caseSensitive ? 'u' : 'iu').test(text);
    } catch {
      return false;
    }
  }
  return entry.caseSensitive ? text.includes(key) : text.toLowerCase().includes(key.toLowerCase());
}

/** Entries that fire for this window of messages (oldest first), in insertion order. */
export function triggeredLoreEntries(lorebook: Lorebook, recentMessages: readonly string[]): { index: number; entry: LorebookEntry }[] {
  const window = recentMessages.slice(-lorebook.scanDepth).join('\n').slice(-MAX_SCAN_CHARS);
  return lorebook.entries
    .map((entry, index) => ({ index, entry }))
    .filter(({ entry }) => {
      if (!entry.enabled) return false;
      if (entry.constant) return true;
      if (!entry.keys.some((key) => keyMatches(key, window, entry))) return false;
      return entry.secondaryKeys.length === 0 || entry.secondaryKeys.some((key) => keyMatches(key, window, entry));
    })
    .sort((a, b) => a.entry.insertionOrder - b.entry.insertionOrder || a.index - b.index);
}
