import { z } from 'zod';

/**
 * How much proof a turn carries. `signed`: the serving node signs an EIP-712 receipt. `reexec`: a different node
 * re-runs the same inference and co-signs when the output matches. They combine; the stricter of what the client
 * asks and the persona's minimum wins.
 */
export const verificationLevelSchema = z.enum(['none', 'signed', 'reexec', 'signed+reexec']);
export type VerificationLevel = z.infer<typeof verificationLevelSchema>;

export interface LevelRequirements {
  signed: boolean;
  reexec: boolean;
}

export function requirementsOf(level: VerificationLevel): LevelRequirements {
  return { signed: level === 'signed' || level === 'signed+reexec', reexec: level === 'reexec' || level === 'signed+reexec' };
}

export function levelOf(requirements: LevelRequirements): VerificationLevel {
  if (requirements.signed && requirements.reexec) return 'signed+reexec';
  if (requirements.signed) return 'signed';
  if (requirements.reexec) return 'reexec';
  return 'none';
}

/** The union of both requirements: a client can add proof, never remove what the persona demands. */
export function strictestLevel(requested: VerificationLevel | undefined, personaMinimum: VerificationLevel | undefined): VerificationLevel {
  const a = requirementsOf(requested ?? 'none');
  const b = requirementsOf(personaMinimum ?? 'none');
  return levelOf({ signed: a.signed || b.signed, reexec: a.reexec || b.reexec });
}
