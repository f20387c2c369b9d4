// How a node binds its signing key to its enclave: the attestation's guest-chosen bytes (Nitro user_data,
// SEV-SNP/TDX REPORT_DATA) start with a digest of the node's address and the moment it asked for the document.
import { createHash } from 'node:crypto';
import { AttestationFailure, fail } from './errors';
import type { VerifiedAttestation } from './evidence';

export const KEY_BINDING_DOMAIN = 'doppel-tee-key-binding-v1';
/** How far a Nitro document's own timestamp may sit from the binding's time. */
const NITRO_TIMESTAMP_SLACK_MS = 5 * 60_000;
/** Clock skew tolerated for a binding that claims to be from the future. */
const FUTURE_SKEW_MS = 60_000;

/**
 * sha256(utf8("doppel-tee-key-binding-v1") ‖ 0x00 ‖ the 20 address bytes ‖ boundAt as uint64 big-endian ms):
 * 32 bytes. The node's address is its secp256k1 public key's hash, so this names the key that signs receipts.
 */
export function keyBindingDigest(nodeAddress: string, boundAtMs: number): Buffer {
  if (!/^0x[0-9a-fA-F]{40}$/.test(nodeAddress)) throw new Error(`not an address: ${nodeAddress}`);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(boundAtMs));
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(KEY_BINDING_DOMAIN, 'utf8'), Buffer.from([0]), Buffer.from(nodeAddress.slice(2), 'hex'), time]))
    .digest();
}

/** The 64 bytes a node asks SEV-SNP/TDX to sign (the digest, then zeros); Nitro takes the 32 digest bytes as user_data. */
export function reportDataFor(nodeAddress: string, boundAtMs: number): Buffer {
  return Buffer.concat([keyBindingDigest(nodeAddress, boundAtMs), Buffer.alloc(32)]);
}

/** Throws unless the attestation binds `nodeAddress` at `boundAtMs`, and that binding is fresh at `now`. */
export function assertKeyBinding(attestation: VerifiedAttestation, nodeAddress: string, boundAtMs: number, options: { now: Date; maxAgeMs: number }): void {
  const digest = keyBindingDigest(nodeAddress, boundAtMs);
  const bound = attestation.reportData.subarray(0, 32).equals(digest) && attestation.reportData.subarray(32).every((byte) => byte === 0);
  if (!bound) {
    fail(
      AttestationFailure.BindingMismatch,
      `${attestation.platform}: the attestation's ${attestation.platform === 'nitro' ? 'user_data' : 'REPORT_DATA'} does not bind node ${nodeAddress} at ${new Date(boundAtMs).toISOString()} (expected ${digest.toString('hex')}…, found ${attestation.reportData.subarray(0, 32).toString('hex') || 'nothing'})`,
    );
  }
  const age = options.now.getTime() - boundAtMs;
  if (age > options.maxAgeMs) fail(AttestationFailure.Stale, `${attestation.platform}: the key binding is ${Math.round(age / 1000)} s old; at most ${Math.round(options.maxAgeMs / 1000)} s allowed`);
  if (age < -FUTURE_SKEW_MS) fail(AttestationFailure.Stale, `${attestation.platform}: the key binding is dated ${Math.round(-age / 1000)} s in the future`);
  if (attestation.issuedAt && Math.abs(attestation.issuedAt.getTime() - boundAtMs) > NITRO_TIMESTAMP_SLACK_MS) {
    fail(AttestationFailure.Stale, `${attestation.platform}: the document was produced at ${attestation.issuedAt.toISOString()}, not when the binding says (${new Date(boundAtMs).toISOString()})`);
  }
}
