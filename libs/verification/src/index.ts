export {
  VERIFICATION_LEVELS,
  LEVEL_NAMES,
  UnknownLevelError,
  verificationLevelSchema,
  labelOfSpec,
  levelsOf,
  labelOf,
  requirementsOf,
  levelOf,
  strictestLevel,
  type Level,
  type VerificationLevel,
  type LevelRequirements,
} from './levels';
export {
  RECEIPT_TYPES,
  REEXECUTION_TYPES,
  ATTACHMENTS_TYPES,
  attachmentsStatementOf,
  reexecutionOf,
  hashCanonical,
  toBytes32,
  transcriptHashes,
  type Receipt,
  type ReceiptDomain,
  type ReceiptEvidence,
  type ReceiptMessage,
  type ReceiptSignatures,
  type ReceiptTranscript,
  type ReexecutionMessage,
  type AttachmentRecord,
  type AttachmentsMessage,
} from './receipt';
export { loadNodeWallet, type NodeWallet } from './node-identity';
export { signReceipt, signReexecution, signAttachments } from './sign-receipt';
export { verifyReceipt, trustedSet, type TrustedNodes, type ReceiptVerification, type LevelCheck, type VerifyOptions } from './verify-receipt';
