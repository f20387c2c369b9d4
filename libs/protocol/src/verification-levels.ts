// The names of the verification levels, in canonical order: the wire's list, read by the browser too (no imports).
// What each level means and requires lives in libs/verification/src/levels.ts, which must cover exactly these.
export const VERIFICATION_LEVEL_NAMES = ['signed', 'reexec', 'tee', 'zk'] as const;
export type VerificationLevelName = (typeof VERIFICATION_LEVEL_NAMES)[number];

/** The empty set's label. */
export const NO_VERIFICATION = 'none';

/**
 * A level set as a string: `none`, or level names in canonical order joined by `+` (`signed+reexec+tee`). What
 * receipts sign, turns store and the wire carries.
 */
export type VerificationLabel = string;

export function isVerificationLevelName(name: string): name is VerificationLevelName {
  return (VERIFICATION_LEVEL_NAMES as readonly string[]).includes(name);
}

/** The names a label (`"tee+signed"`, `"none"`) or a list lists, as written: unchecked, unordered. */
export function listedLevelNames(spec: string | readonly string[] | undefined | null): string[] {
  if (spec == null) return [];
  if (typeof spec !== 'string') return [...spec];
  return spec === NO_VERIFICATION || spec === '' ? [] : spec.split('+');
}

export function unknownLevelMessage(name: string): string {
  return `unknown verification level "${name}"; the levels are ${VERIFICATION_LEVEL_NAMES.join(', ')} (or ${NO_VERIFICATION})`;
}


type ModelCardLevelName<Name> = Name extends 'zk' ? 'zkml' : Name;

/**
 * What a model card's `verification` may list (and the hub's search filters by): the turn levels, with zk written
 * `zkml` as cards have always spelled it.
 */
export const MODEL_CARD_VERIFICATION_NAMES = VERIFICATION_LEVEL_NAMES.map((name) => (name === 'zk' ? 'zkml' : name)) as unknown as {
  readonly [Index in keyof typeof VERIFICATION_LEVEL_NAMES]: ModelCardLevelName<(typeof VERIFICATION_LEVEL_NAMES)[Index]>;
};
