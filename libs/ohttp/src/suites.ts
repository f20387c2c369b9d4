// The HPKE algorithms Doppel's Oblivious HTTP speaks (RFC 9180 ids): KEM X25519-HKDF-SHA256, KDF HKDF-SHA256,
// AEAD AES-128-GCM or ChaCha20-Poly1305.
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { OhttpError, OhttpErrorCode } from './errors';

export const KEM_X25519_HKDF_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_CHACHA20_POLY1305 = 0x0003;

export type AeadId = typeof AEAD_AES_128_GCM | typeof AEAD_CHACHA20_POLY1305;
export const SUPPORTED_AEADS: readonly AeadId[] = [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305];

/** Bytes of an X25519 public key and of the encapsulated key (Npk = Nenc = 32). */
export const X25519_KEY_BYTES = 32;

export interface SymmetricSuite {
  kdfId: number;
  aeadId: number;
}

export interface Suite {
  kemId: number;
  kdfId: number;
  aeadId: AeadId;
  hpke: CipherSuite;
  /** AEAD key and nonce sizes (Nk, Nn). */
  keySize: number;
  nonceSize: number;
}

const cache = new Map<string, Suite>();

export function isSupported(kemId: number, kdfId: number, aeadId: number): aeadId is AeadId {
  return kemId === KEM_X25519_HKDF_SHA256 && kdfId === KDF_HKDF_SHA256 && (SUPPORTED_AEADS as number[]).includes(aeadId);
}

export function suiteFor(kemId: number, kdfId: number, aeadId: number): Suite {
  if (!isSupported(kemId, kdfId, aeadId)) {
    throw new OhttpError(OhttpErrorCode.KeyUnknown, `unsupported HPKE suite kem=0x${kemId.toString(16)} kdf=0x${kdfId.toString(16)} aead=0x${aeadId.toString(16)}`);
  }
  const name = `${kemId}/${kdfId}/${aeadId}`;
  let suite = cache.get(name);
  if (!suite) {
    const aead = aeadId === AEAD_AES_128_GCM ? new Aes128Gcm() : new Chacha20Poly1305();
    suite = {
      kemId,
      kdfId,
      aeadId,
      hpke: new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead }),
      keySize: aeadId === AEAD_AES_128_GCM ? 16 : 32,
      nonceSize: 12,
    };
    cache.set(name, suite);
  }
  return suite;
}

export function aeadName(aeadId: number): string {
  return aeadId === AEAD_AES_128_GCM ? 'AES-128-GCM' : aeadId === AEAD_CHACHA20_POLY1305 ? 'ChaCha20-Poly1305' : `0x${aeadId.toString(16)}`;
}
