import {
  isVerificationLevelName,
  listedLevelNames,
  NO_VERIFICATION,
  unknownLevelMessage,
  VERIFICATION_LEVEL_NAMES,
  verificationSpecSchema,
  type VerificationLabel,
  type VerificationLevelName,
  type VerificationSpec,
} from '@doppel/protocol';

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
 * A set of levels as one string (@doppel/protocol's VerificationLabel): the names in canonical order joined by `+`,
 * or `none`, so `signed`, `reexec` and `signed+reexec` from before sets keep their meaning byte for byte.
 */
export type VerificationLevel = VerificationLabel;

export type LevelRequirements = Record<Level, boolean>;

export class UnknownLevelError extends Error {}

/** Parses a label (`"tee+signed"`, `"none"`) or a list (`["zk", "signed"]`) into a closed, ordered set. */
export function levelsOf(spec: VerificationLevel | readonly string[] | undefined | null): Level[] {
  const chosen = new Set<Level>();
  const add = (name: string) => {
    if (!isVerificationLevelName(name)) throw new UnknownLevelError(unknownLevelMessage(name));
    if (chosen.has(name)) return;
    chosen.add(name);
    for (const required of VERIFICATION_LEVELS[name].requires) add(required);
  };
  for (const name of listedLevelNames(spec)) add(name);
  return LEVEL_NAMES.filter((name) => chosen.has(name));
}

export function labelOf(levels: Iterable<Level>): VerificationLevel {
  const ordered = levelsOf([...levels]);
  return ordered.length === 0 ? NO_VERIFICATION : ordered.join('+');
}

/** The wire's verificationSpecSchema (names checked there), yielding the canonical label: for what is stored. */
export const verificationLevelSchema = verificationSpecSchema.transform((spec) => labelOf(levelsOf(spec)));

/** What a client asked for (a label or a list, as the wire allows) as the canonical label; nothing stays nothing. */
export function labelOfSpec(spec: VerificationSpec | undefined): VerificationLevel | undefined {
  return spec === undefined ? undefined : labelOf(levelsOf(spec));
}

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
