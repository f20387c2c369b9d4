// Evidence as it travels (node → registry, receipt → verifier) and the one check a level-tee claim must pass:
// genuine hardware, not debuggable, an approved measurement, binding the node's key, fresh.
import { assertKeyBinding } from './binding';
import { AttestationFailure, fail } from './errors';
import type { TeePlatform, VerifiedAttestation } from './evidence';
import { verifyNitroAttestation } from './nitro';
import { verifySevSnpReport } from './sev-snp';
import { verifyTdxQuote } from './tdx';

/**
 * `document` is base64 of the platform's own bytes (Nitro COSE_Sign1, SEV-SNP report, TDX quote). `endorsements`
 * carry what the document does not: SEV-SNP `vcek` (base64 DER) and `askArk` (PEM); TDX `tcbInfo`, `qeIdentity`
 * (the PCS JSON bodies) and `tcbSigningChain` (PEM). Nitro documents carry their whole chain.
 */
export interface TeeEvidence {
  platform: TeePlatform;
  document: string;
  /** Milliseconds since the epoch: when the node bound its key (part of the bound digest). */
  boundAt: number;
  endorsements?: Record<string, string>;
}

export function verifyEvidenceDocument(evidence: TeeEvidence, options: { now: Date; allowDebug?: boolean; tcbPolicy?: 'require-listed' | 'report' }): VerifiedAttestation {
  const bytes = Buffer.from(evidence.document, 'base64');
  const endorsement = (name: string) =>
    evidence.endorsements?.[name] ?? fail(AttestationFailure.Malformed, `${evidence.platform}: the evidence lacks its ${name} endorsement`);
  switch (evidence.platform) {
    case 'nitro':
      return verifyNitroAttestation(bytes, options);
    case 'sev-snp':
      return verifySevSnpReport(bytes, { vcek: Buffer.from(endorsement('vcek'), 'base64'), askArkPem: endorsement('askArk') }, options);
    case 'tdx':
      return verifyTdxQuote(bytes, { tcbInfoJson: endorsement('tcbInfo'), qeIdentityJson: endorsement('qeIdentity'), tcbSigningChainPem: endorsement('tcbSigningChain') }, options);
    default:
      return fail(AttestationFailure.Malformed, `unknown TEE platform ${String((evidence as { platform: unknown }).platform)}`);
  }
}

export interface TeePolicy {
  /** The node whose key must be bound. */
  nodeAddress: string;
  now: Date;
  maxAgeMs: number;
  /** Whether the operators approved this measurement (for the model in question). */
  isApproved(platform: TeePlatform, measurement: string): boolean | Promise<boolean>;
}

/** Everything level tee rests on; throws an AttestationError naming the first check that failed. */
export async function checkTeeEvidence(evidence: TeeEvidence, policy: TeePolicy): Promise<VerifiedAttestation> {
  const attestation = verifyEvidenceDocument(evidence, { now: policy.now });
  assertKeyBinding(attestation, policy.nodeAddress, evidence.boundAt, policy);
  if (!(await policy.isApproved(attestation.platform, attestation.measurement))) {
    fail(AttestationFailure.MeasurementNotApproved, `${attestation.platform}: measurement ${attestation.measurement.slice(0, 24)}… is not approved for this model`);
  }
  return attestation;
}
