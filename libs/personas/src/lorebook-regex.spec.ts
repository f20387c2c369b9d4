import { describe, expect, it } from 'vitest';
import { errorCodeOfIssues, ErrorCode } from '@doppel/protocol';
import { lorebookEntrySchema, lorebookSchema } from './persona-definition';
import { lorebookRegexProblem, MAX_LOREBOOK_REGEX_KEYS, MAX_LOREBOOK_REGEX_PROGRAM } from './lorebook-regex';

describe('lorebook regex keys', () => {
  it('accepts RE2 patterns a lorebook uses', () => {
    for (const key of ['^\\d{4}$', '\\b(?:dragon|wyrm)s?\\b', '(?i)mary rose', '\\p{L}+ of \\p{L}+', '(a+)+$', '.{1,40}q']) {
      expect(lorebookRegexProblem(key), key).toBeNull();
    }
  });

  it('refuses backreferences, lookaround and JavaScript-only syntax, saying why', () => {
    expect(lorebookRegexProblem('(a)\\1')).toMatch(/not a supported regular expression \(invalid escape sequence: `\\1`\).*no backreferences or lookaround/);
    expect(lorebookRegexProblem('(?=a)b')).toMatch(/not a supported regular expression/);
    expect(lorebookRegexProblem('(?<!a)b')).toMatch(/not a supported regular expression/);
    expect(lorebookRegexProblem('[')).toMatch(/missing closing ]/);
    expect(lorebookRegexProblem('a{1001}')).toMatch(/invalid repeat count/);
  });

  it(`refuses keys whose program is larger than ${MAX_LOREBOOK_REGEX_PROGRAM}`, () => {
    expect(lorebookRegexProblem('.{1,90}q')).toMatch(/too complex \(program size 182, at most 100\)/);
    expect(lorebookRegexProblem('(?:.{1,9}){1,20}')).toMatch(/too complex/);
  });

  it('names the entry field and key in a LOREBOOK_KEY_INVALID issue, and checks only regex entries', () => {
    const parsed = lorebookEntrySchema.safeParse({ keys: ['fine', '(a)\\1'], secondaryKeys: ['(?=x)'], content: 'c', useRegex: true });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues;
    expect(issues.map((issue) => issue.path)).toEqual([['keys', 1], ['secondaryKeys', 0]]);
    expect(issues[0]!.message).toContain('regex key "(a)\\\\1" is not a supported regular expression');
    expect(errorCodeOfIssues(issues)).toBe(ErrorCode.LorebookKeyInvalid);
    expect(lorebookEntrySchema.safeParse({ keys: ['(a)\\1'], content: 'plain text keys are not patterns' }).success).toBe(true);
  });

  it(`refuses a lorebook with more than ${MAX_LOREBOOK_REGEX_KEYS} regex keys without compiling them`, () => {
    const entries = Array.from({ length: 200 }, (_, index) => ({ keys: Array.from({ length: 32 }, (_, key) => `(x+x+)+y${index}_${key}`), content: 'c', useRegex: true }));
    const started = performance.now();
    const parsed = lorebookSchema.safeParse({ entries });
    expect(performance.now() - started).toBeLessThan(200);
    expect(parsed.error!.issues).toHaveLength(1);
    // Entry 0's 32 keys are the most a lorebook may have: entry 1's first key is one too many.
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['entries', 1, 'keys', 0], message: expect.stringContaining(`at most ${MAX_LOREBOOK_REGEX_KEYS} regex keys`) });
    expect(errorCodeOfIssues(parsed.error!.issues)).toBe(ErrorCode.LorebookKeyInvalid);
    // Plain-text keys do not count; a lorebook's own invalid regex key is named with its entry.
    expect(lorebookSchema.safeParse({ entries: entries.map((entry) => ({ ...entry, useRegex: false })) }).success).toBe(true);
    const named = lorebookSchema.safeParse({ entries: [{ keys: ['ok'], content: 'c' }, { keys: ['fine', '(?=x)'], content: 'c', useRegex: true }] });
    expect(named.error!.issues.map((issue) => issue.path)).toEqual([['entries', 1, 'keys', 1]]);
  });
});
