// `doppel ohttp keygen [--id N]`: a new OHTTP gateway key for OHTTP_KEYS, with the hash clients pin.
// `doppel ohttp pins`: the key configuration hashes of the OHTTP_KEYS this environment holds.
import { encodeKeyConfig, generateKeySecret, OhttpKeyRing, parseKeySecrets, decodeKeyConfigList } from '@doppel/ohttp';

export async function runOhttp(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'keygen') {
    const idAt = rest.indexOf('--id');
    const keyId = idAt >= 0 ? Number(rest[idAt + 1]) : 1;
    if (!Number.isInteger(keyId) || keyId < 0 || keyId > 255) throw new Error('--id takes a key id 0-255');
    const secret = generateKeySecret(keyId);
    const ring = await OhttpKeyRing.create(parseKeySecrets(secret));
    // Machine-readable: the secret goes to the gateway's environment only; the hash is public.
    console.log(JSON.stringify({ key: secret, keyId, sha256: ring.published[0]!.hash }));
    return;
  }
  if (sub === 'pins') {
    const spec = process.env.OHTTP_KEYS;
    if (!spec) throw new Error('OHTTP_KEYS is not set');
    const ring = await OhttpKeyRing.create(parseKeySecrets(spec));
    for (const { config } of decodeKeyConfigList(ring.keyConfigList)) {
      console.log(`${config.keyId}\t${ring.published.find((key) => key.keyId === config.keyId)!.hash}\t(${encodeKeyConfig(config).length} bytes)`);
    }
    return;
  }
  throw new Error('usage: doppel ohttp keygen [--id N] | doppel ohttp pins');
}
