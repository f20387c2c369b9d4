// Lorebook regex keys are creator-supplied patterns run against consumers' messages. They are compiled by re2js (RE2
// semantics, linear in the input), never by JavaScript's backtracking RegExp, where `(a+)+$` takes exponential time.
import { RE2JS } from 're2js';

/**
 * Largest compiled program a key may have. Matching costs up to program size × characters scanned, so this keeps a
 * key cheap: name alternations and word patterns are 10–30, `.{1,40}q` is 82, `.{1,90}q` (182) is refused.
 */
export const MAX_LOREBOOK_REGEX_PROGRAM = 100;

/** Regex keys one lorebook may hold: each costs a compile when saved and a test on every turn. */
export const MAX_LOREBOOK_REGEX_KEYS = 32;

export type CompiledLorebookRegex = RE2JS;

/** Compiles a key (RE2 syntax); throws with RE2's reason when the key is not a supported expression. */
export function compileLorebookRegex(pattern: string, caseSensitive: boolean): CompiledLorebookRegex {
  return RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
}

// Edits re-check every key of the lorebook; the verdicts (strings, not compiled programs) are kept.
const verdicts = new Map<string, string | null>();
const VERDICTS_KEPT = 2048;

/** Why a key cannot be a regex key, in words for the creator, or null when it can. */
export function lorebookRegexProblem(pattern: string): string | null {
  const known = verdicts.get(pattern);
  if (known !== undefined) return known;
  const verdict = judge(pattern);
  verdicts.set(pattern, verdict);
  if (verdicts.size > VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
  return verdict;
}

function judge(pattern: string): string | null {
  let compiled: CompiledLorebookRegex;
  try {
    compiled = compileLorebookRegex(pattern, true);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    return `is not a supported regular expression (${reason}); keys use RE2 syntax, which has no backreferences or lookaround`;
  }
  const size = compiled.programSize();
  if (size > MAX_LOREBOOK_REGEX_PROGRAM) {
    return `is too complex (program size ${size}, at most ${MAX_LOREBOOK_REGEX_PROGRAM}); use smaller repetition counts or fewer alternatives`;
  }
  return null;
}
