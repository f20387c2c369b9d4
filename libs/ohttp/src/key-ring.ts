// The gateway's HPKE keys: several at once so keys can rotate with overlap (the newest is advertised first; older
// ones keep opening requests from clients that fetched the list before). Only the seeds are configured; the key
// pairs are derived from them (RFC 9180 DeriveKeyPair), so the same seed always publishes the same configuration.
import { fromHex, toArrayBuffer, toHex } from './bytes';
import type { GatewayKey } from './encapsulation';
import { encodeKeyConfig, encodeKeyConfigList, keyConfigHash, type KeyConfig } from './key-config';
import { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256, suiteFor } from './suites';

export interface KeySecret {
  keyId: number;
  /** 32 bytes of key material (the IKM of DeriveKeyPair). */
  seed: Uint8Array;
}

/** `id:hex,id:hex` (newest first) → key secrets; throws a message naming what is wrong, never the key material. */
export function parseKeySecrets(spec: string): KeySecret[] {
  const secrets = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const match = /^(\d{1,3}):([0-9a-fA-F]{64})$/.exec(entry);
      if (!match || Number(match[1]) > 255) throw new Error(`entry ${index + 1} is not "<key id 0-255>:<64 hex digits>"`);
      return { keyId: Number(match[1]), seed: fromHex(match[2]!) };
    });
  if (secrets.length === 0) throw new Error('no keys');
  const ids = secrets.map((secret) => secret.keyId);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw new Error(`key id ${repeated} appears twice`);
  return secrets;
}

/** A fresh key entry for OHTTP_KEYS (`id:hex`). */
export function generateKeySecret(keyId: number): string {
  return `${keyId}:${toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)))}`;
}

export interface PublishedKey {
  keyId: number;
  /** SHA-256 of the encoded key configuration: what clients pin. */
  hash: string;
}

export class OhttpKeyRing {
  private constructor(
    private readonly keys: Map<number, GatewayKey>,
    /** application/ohttp-keys, newest first. */
    readonly keyConfigList: Uint8Array,
    readonly published: PublishedKey[],
  ) {}

  static async create(secrets: KeySecret[]): Promise<OhttpKeyRing> {
    const kem = suiteFor(KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_128_GCM).hpke.kem;
    const keys = new Map<number, GatewayKey>();
    const configs: KeyConfig[] = [];
    const published: PublishedKey[] = [];
    for (const { keyId, seed } of secrets) {
      const keyPair = await kem.deriveKeyPair(toArrayBuffer(seed));
      const config: KeyConfig = {
        keyId,
        kemId: KEM_X25519_HKDF_SHA256,
        publicKey: new Uint8Array(await kem.serializePublicKey(keyPair.publicKey)),
        symmetric: [
          { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_AES_128_GCM },
          { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_CHACHA20_POLY1305 },
        ],
      };
      keys.set(keyId, { config, keyPair });
      configs.push(config);
      published.push({ keyId, hash: await keyConfigHash(encodeKeyConfig(config)) });
    }
    return new OhttpKeyRing(keys, encodeKeyConfigList(configs), published);
  }

  key(keyId: number): GatewayKey | undefined {
    return this.keys.get(keyId);
  }
}
