// AWS Nitro Enclaves attestation documents: an untagged COSE_Sign1 (ES384) whose payload carries the PCRs, the
// signing certificate and the CA bundle from AWS's Nitro root.
import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import { decodeCbor as decodeStrict } from './cbor';
import { AttestationFailure, fail } from './errors';
import type { VerifiedAttestation } from './evidence';
import { parseCertificate, verifyChain } from './x509-chain';

/** SHA-256 of the DER of AWS's Nitro Enclaves root G1 (CN=aws.nitro-enclaves), as AWS publishes it. */
export const NITRO_ROOT_G1_SHA256 = '641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b';
const ES384 = -35;

export interface NitroDocument {
  moduleId: string;
  digest: string;
  timestamp: Date;
  pcrs: Map<number, Buffer>;
  certificate: X509Certificate;
  publicKey: Buffer | null;
  userData: Buffer | null;
  nonce: Buffer | null;
}

export interface NitroAttestation extends VerifiedAttestation {
  platform: 'nitro';
  document: NitroDocument;
}

function bytesOf(value: unknown, field: string): Buffer {
  if (!Buffer.isBuffer(value)) fail(AttestationFailure.Malformed, `Nitro: ${field} is not a byte string`);
  return Buffer.from(value);
}

function optionalBytes(value: unknown, field: string): Buffer | null {
  return value === null || value === undefined ? null : bytesOf(value, field);
}

/** CBOR head for a major type and length (definite lengths only: all COSE needs here). */
function cborHead(majorType: number, length: number): Buffer {
  const major = majorType << 5;
  if (length < 24) return Buffer.from([major | length]);
  if (length < 0x100) return Buffer.from([major | 24, length]);
  if (length < 0x10000) return Buffer.from([major | 25, length >> 8, length & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = major | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

/** RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad = h'', payload]. */
function sigStructure(protectedHeader: Buffer, payload: Buffer): Buffer {
  const context = Buffer.from('Signature1', 'utf8');
  return Buffer.concat([
    cborHead(4, 4),
    cborHead(3, context.length),
    context,
    cborHead(2, protectedHeader.length),
    protectedHeader,
    cborHead(2, 0),
    cborHead(2, payload.length),
    payload,
  ]);
}

function decodeCbor(bytes: Buffer, what: string): unknown {
  try {
    return decodeStrict(bytes);
  } catch (error) {
    return fail(AttestationFailure.Malformed, `Nitro: ${what} is not CBOR: ${(error as Error).message}`);
  }
}

/** Reads a document (raw COSE_Sign1 bytes, or its base64) without checking anything. */
export function parseNitroDocument(input: Uint8Array | string): { protectedHeader: Buffer; payload: Buffer; signature: Buffer; document: NitroDocument; cabundle: Buffer[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input.trim(), 'base64') : Buffer.from(input);
  let cose = decodeCbor(bytes, 'the document');
  // Some producers wrap it in tag 18 (COSE_Sign1); AWS's NSM does not.
  if (cose && typeof cose === 'object' && 'tag' in cose && 'value' in cose && (cose as { tag: number }).tag === 18) cose = (cose as { value: unknown }).value;
  if (!Array.isArray(cose) || cose.length !== 4) fail(AttestationFailure.Malformed, 'Nitro: the document is not a COSE_Sign1 array of four');
  const protectedHeader = bytesOf(cose[0], 'the protected header');
  const header = decodeCbor(protectedHeader, 'the protected header');
  if (!(header instanceof Map) || header.get(1) !== ES384) fail(AttestationFailure.Malformed, 'Nitro: the protected header does not say alg ES384 (-35)');
  const payload = bytesOf(cose[2], 'the payload');
  const signature = bytesOf(cose[3], 'the signature');
  const fields = decodeCbor(payload, 'the payload');
  if (!(fields instanceof Map)) fail(AttestationFailure.Malformed, 'Nitro: the payload is not a CBOR map');
  const pcrsField = fields.get('pcrs');
  if (!(pcrsField instanceof Map) || pcrsField.size === 0) fail(AttestationFailure.Malformed, 'Nitro: the payload has no pcrs map');
  const pcrs = new Map<number, Buffer>();
  for (const [index, value] of pcrsField) {
    if (typeof index !== 'number') fail(AttestationFailure.Malformed, 'Nitro: a PCR index is not an integer');
    pcrs.set(index, bytesOf(value, `PCR${index}`));
  }
  const cabundleField = fields.get('cabundle');
  if (!Array.isArray(cabundleField) || cabundleField.length === 0) fail(AttestationFailure.Malformed, 'Nitro: the payload has no cabundle');
  const moduleId = fields.get('module_id');
  const digest = fields.get('digest');
  const timestamp = fields.get('timestamp');
  if (typeof moduleId !== 'string' || typeof digest !== 'string' || (typeof timestamp !== 'number' && typeof timestamp !== 'bigint')) {
    fail(AttestationFailure.Malformed, 'Nitro: module_id, digest or timestamp is missing');
  }
  return {
    protectedHeader,
    payload,
    signature,
    cabundle: cabundleField.map((entry, index) => bytesOf(entry, `cabundle[${index}]`)),
    document: {
      moduleId,
      digest,
      timestamp: new Date(Number(timestamp)),
      pcrs,
      certificate: parseCertificate(bytesOf(fields.get('certificate'), 'the certificate'), 'Nitro: the signing certificate'),
      publicKey: optionalBytes(fields.get('public_key'), 'public_key'),
      userData: optionalBytes(fields.get('user_data'), 'user_data'),
      nonce: optionalBytes(fields.get('nonce'), 'nonce'),
    },
  };
}

/**
 * Checks a Nitro attestation document at `now`: the chain from the pinned AWS root through the CA bundle to the
 * signing certificate, the COSE signature, and (unless allowDebug) that the enclave is not in debug mode, where
 * PCR0–2 read all zeros and the parent instance can read its memory.
 */
export function verifyNitroAttestation(input: Uint8Array | string, options: { now: Date; allowDebug?: boolean }): NitroAttestation {
  const parsed = parseNitroDocument(input);
  const { document } = parsed;
  if (document.digest !== 'SHA384') fail(AttestationFailure.Malformed, `Nitro: PCR digest ${document.digest}, expected SHA384`);
  // cabundle runs root first; verifyChain wants the leaf first.
  const chain = [document.certificate, ...parsed.cabundle.map((der, index) => parseCertificate(der, `Nitro: cabundle[${index}]`)).reverse()];
  verifyChain(chain, NITRO_ROOT_G1_SHA256, options.now, 'Nitro');
  if (parsed.signature.length !== 96) fail(AttestationFailure.SignatureInvalid, `Nitro: an ES384 signature is 96 bytes; this one is ${parsed.signature.length}`);
  const signed = verifySignature('sha384', sigStructure(parsed.protectedHeader, parsed.payload), { key: document.certificate.publicKey, dsaEncoding: 'ieee-p1363' }, parsed.signature);
  if (!signed) fail(AttestationFailure.SignatureInvalid, 'Nitro: the COSE_Sign1 signature does not verify under the signing certificate');

  const imagePcrs = [0, 1, 2].map((index) => document.pcrs.get(index));
  if (imagePcrs.some((pcr) => !pcr || pcr.length !== 48)) fail(AttestationFailure.Malformed, 'Nitro: PCR0, PCR1 and PCR2 must each be 48 bytes');
  const debug = imagePcrs.every((pcr) => pcr!.every((byte) => byte === 0));
  if (debug && !options.allowDebug) fail(AttestationFailure.DebugMode, 'Nitro: the enclave runs in debug mode (PCR0, PCR1 and PCR2 are all zero), so its memory is readable by the parent instance');
  return {
    platform: 'nitro',
    measurement: Buffer.concat(imagePcrs as Buffer[]).toString('hex'),
    reportData: document.userData ?? Buffer.alloc(0),
    debug,
    issuedAt: document.timestamp,
    document,
  };
}
