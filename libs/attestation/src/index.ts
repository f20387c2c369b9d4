export { AttestationError, AttestationFailure } from './errors';
export type { TeePlatform, VerifiedAttestation } from './evidence';
export { NITRO_ROOT_G1_SHA256, parseNitroDocument, verifyNitroAttestation, type NitroAttestation, type NitroDocument } from './nitro';
export { AMD_ARK_SHA256, parseSevSnpReport, verifySevSnpReport, vcekClaims, type SevSnpAttestation, type SevSnpReport } from './sev-snp';
export { INTEL_SGX_ROOT_SHA256, parseTdxQuote, verifyTdxQuote, pckClaims, type TdxAttestation, type TdxCollateral, type TdxQuote } from './tdx';
export { KEY_BINDING_DOMAIN, keyBindingDigest, reportDataFor, assertKeyBinding } from './binding';
export { checkTeeEvidence, verifyEvidenceDocument, type TeeEvidence, type TeePolicy } from './tee-evidence';
export { attestNode, TEE_DEVICE_PATHS, type AttesterOptions, type AttesterResult } from './attester';
export { teeReceiptCheck, type TeeReceiptPolicy } from './receipt-check';
