// The names of the verification levels, in canonical order: the wire's list, read by the browser too (no imports).
// What each level means and requires lives in libs/verification/src/levels.ts, which must cover exactly these.
export const VERIFICATION_LEVEL_NAMES = ['signed', 'reexec', 'tee', 'zk'] as const;
export type VerificationLevelName = (typeof VERIFICATION_LEVEL_NAMES)[number];
