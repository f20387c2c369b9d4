import { z } from 'zod';
import { VERIFICATION_LEVEL_NAMES, type VerificationLevelName } from '@doppel/protocol';

/**
 * The verification levels, in their canonical order. A turn asks for a set of them and gets every one or a loud
 * failure. Adding a level is its name in @doppel/protocol's VERIFICATION_LEVEL_NAMES and one entry here (plus its
 * prover, its intake check and its verifyReceipt check); everything that parses, combines, stores or labels levels
 * reads these.
 */
export const VERIFICATION_LEVELS = {
  /** The serving node signs an EIP-712 receipt. */
  signed: { requires: [] },
  /** A different node re-runs the inference and co-signs when the output matches. */
  reexec: { requires: [] },
  /** The serving node's signing key lives in an attested enclave running an approved measurement; the proof is that key's signature. */
  tee: { requires: ['signed'] },
  /** A zero-knowledge proof that the committed model mapped the committed input to the committed output. */
  zk: { requires: [] },
} as const satisfies Record<VerificationLevelName, { requires: readonly VerificationLevelName[] }>;

export type Level = VerificationLevelName;
/** Canonical order: the wire's list (libs/protocol/src/verification-levels.ts), which the browser reads too. */
export const LEVEL_NAMES: readonly Level[] = VERIFICATION_LEVEL_NAMES;

/**
 * A set of levels as one string: the names in canonical order joined by `+`, or `none`. This is what receipts
 * sign (the typed data's `level`), what turns store and what the wire carries, so `signed`, `reexec` and
 * `signed+reexec` from before sets keep their meaning byte for byte.
 */
export type VerificationLevel = string;

export type LevelRequirements = Record<Level, boolean>;

export class UnknownLevelError extends Error {}

function isLevel(name: string): name is Level {
  return Object.prototype.hasOwnProperty.call(VERIFICATION_LEVELS, name);
}

/** Parses a label (`"tee+signed"`, `"none"`) or a list (`["zk", "signed"]`) into a closed, ordered set. */
export function levelsOf(spec: VerificationLevel | readonly string[] | undefined | null): Level[] {
  const names = spec == null ? [] : typeof spec === 'string' ? (spec === 'none' || spec === '' ? [] : spec.split('+')) : [...spec];
  const chosen = new Set<Level>();
  const add = (name: string) => {
    if (!isLevel(name)) throw new UnknownLevelError(`unknown verification level "${name}"; the levels are ${LEVEL_NAMES.join(', ')} (or none)`);
    if (chosen.has(name)) return;
    chosen.add(name);
    for (const required of VERIFICATION_LEVELS[name].requires) add(required);
  };
  for (const name of names) add(name);
  return LEVEL_NAMES.filter((name) => chosen.has(name));
}

export function labelOf(levels: Iterable<Level>): VerificationLevel {
  const ordered = levelsOf([...levels]);
  return ordered.length === 0 ? 'none' : ordered.join('+');
}

/** Accepts the single-level strings of old clients, any `+`-joined set, or a list; yields the canonical label. */
export const verificationLevelSchema = z
  .union([z.string().max(64), z.array(z.string().max(16)).max(LEVEL_NAMES.length * 2)])
  .transform((spec, ctx) => {
    try {
      return labelOf(levelsOf(spec));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

export function requirementsOf(level: VerificationLevel | readonly string[]): LevelRequirements {
  const chosen = new Set(levelsOf(level));
  return Object.fromEntries(LEVEL_NAMES.map((name) => [name, chosen.has(name)])) as LevelRequirements;
}

export function levelOf(requirements: Partial<LevelRequirements>): VerificationLevel {
  return labelOf(LEVEL_NAMES.filter((name) => requirements[name]));
}

/** The union of both sets: a client can add proof, never remove what the persona demands. */
export function strictestLevel(requested: VerificationLevel | readonly string[] | undefined, personaMinimum: VerificationLevel | readonly string[] | undefined): VerificationLevel {
  return labelOf([...levelsOf(requested), ...levelsOf(personaMinimum)]);
}
