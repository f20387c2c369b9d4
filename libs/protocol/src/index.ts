export * from './browser';
// Node only (node:crypto).
export { sha256Hex, personaContentHash } from './content-hash';
