// @doppel/zkml without Node: the zk level's receipt check, which the web app runs in the page (apps/web maps
// `@doppel/zkml` here). It brings ethers and @noble/curves, so the app imports it dynamically, only when a receipt
// claims zk. index.ts adds the prover, the circuits and the ONNX reader for the server and the CLI.
export { checkZkEvidence, zkKeyring, type TrustedZkModel, type ZkKeyring, type ZkEvidence, type AttachmentClaim } from './zk-evidence';
