export { readOnnx, writeOnnx, OnnxFormatError, type OnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-proto';
export { readMlp, mlpFromOnnx, mlpToOnnx, parameterCount, HARD_SIGMOID, UnsupportedGraphError, type Mlp, type DenseLayer, type Activation } from './mlp';
export {
  FIELD_PRIME,
  DEFAULT_FRACTION_BITS,
  quantizeMlp,
  encodeInput,
  checkInput,
  evaluateFixed,
  fromFixed,
  toFixed,
  toField,
  fromField,
  publicSignalsOf,
  bindingOf,
  witnessInputOf,
  splitPublicSignals,
  FixedPointRangeError,
  type QuantizedMlp,
  type QuantizedLayer,
  type QuantizeOptions,
} from './fixed-point';
export { circomSource, sha256Hex } from './circom-source';
export { verifyGroth16, type Groth16Proof, type Groth16VerificationKey } from './groth16-verify';
export { solidityVerifierSource, solidityProofWords } from './solidity-verifier';
export { ZkProverClient, ZkProverUnavailableError, ZkProvingError, defaultProverDir, proverInstalled, type ProofResult } from './prover-client';
export { compileCircuit, testPtau, setupCircuit, type CompiledCircuit } from './prover-cli';
export { loadZkModel, attachableModel, runAttachment, compiledCircuit, verificationKeyHash, trustedZkModel, trustedZkModelsIn, ZkModelError, type ZkModel, type ZkModelConfig, type AttachmentResult } from './zk-model';
export { TEST_CEREMONY, PRODUCTION_PTAU } from './ceremony';
export { checkZkEvidence, attachmentInputHash, zkKeyring, zkScores, zkLevelCheck, type ZkEvidence, type ZkAttachmentProof, type AttachmentClaim, type TrustedZkModel, type ZkKeyring } from './zk-evidence';
