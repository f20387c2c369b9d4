import { z } from 'zod';
import { isVerificationLevelName, listedLevelNames, unknownLevelMessage, VERIFICATION_LEVEL_NAMES } from './verification-levels';

/**
 * The proof a client asks for, as a set: a `+`-joined label (`"signed+reexec"`, `"none"`, the single-level strings
 * of earlier clients included) or a list (`["signed", "tee"]`). Every name is checked here; libs/verification closes
 * and orders the set (`levelsOf`, `verificationLevelSchema`).
 */
export const verificationSpecSchema = z
  .union([z.string().max(64), z.array(z.string().max(16)).max(VERIFICATION_LEVEL_NAMES.length * 2)])
  .superRefine((spec, ctx) => {
    const unknown = listedLevelNames(spec).find((name) => !isVerificationLevelName(name));
    if (unknown !== undefined) ctx.addIssue({ code: 'custom', message: unknownLevelMessage(unknown) });
  });
export type VerificationSpec = z.infer<typeof verificationSpecSchema>;
