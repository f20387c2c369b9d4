// Level tee for receipts: the check verifyReceipt runs when a receipt claims tee.
import type { LevelCheck, Receipt } from '@doppel/verification';
import { AttestationError } from './errors';
import type { TeePlatform } from './evidence';
import { checkTeeEvidence } from './tee-evidence';

export interface TeeReceiptPolicy {
  /** How far the key binding may precede the turn's start. */
  maxAgeMs: number;
  /** Whether the measurement is approved for the model the receipt names (its modelHash). */
  isApproved(modelHash: string, platform: TeePlatform, measurement: string): boolean | Promise<boolean>;
}

/**
 * The evidence must bind the receipt's node key to an approved measurement, judged when the turn started: a Nitro
 * certificate lives three hours, and a receipt is checked long after. The node signature itself is the `signed`
 * level's check, which tee requires.
 */
export function teeReceiptCheck(policy: TeeReceiptPolicy): LevelCheck {
  return async (receipt: Receipt) => {
    const evidence = receipt.evidence?.tee;
    if (!evidence) return ['the receipt carries no attestation evidence'];
    try {
      await checkTeeEvidence(evidence, {
        nodeAddress: receipt.message.node,
        now: new Date(receipt.message.startedAt),
        maxAgeMs: policy.maxAgeMs,
        isApproved: (platform, measurement) => policy.isApproved(receipt.message.modelHash, platform, measurement),
      });
      return [];
    } catch (error) {
      if (error instanceof AttestationError) return [`${error.failure}: ${error.message}`];
      throw error;
    }
  };
}
