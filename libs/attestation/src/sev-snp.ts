// AMD SEV-SNP attestation reports (ABI spec 56860, ATTESTATION_REPORT): signed by the chip's VCEK, which AMD's ASK
// signs, which the pinned ARK signs. The VCEK also names the chip and the TCB it was issued for; both must match.
import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import { integerOf, octetsOf, oidValues, readTlv } from './der';
import { AttestationFailure, fail } from './errors';
import type { VerifiedAttestation } from './evidence';
import { certificatesFromPem, parseCertificate, verifyChain } from './x509-chain';

/** SHA-256 of the DER of AMD's ARK for Milan (CN=ARK-Milan), from AMD's key distribution service. */
export const AMD_ARK_SHA256: Record<string, string> = {
  Milan: '69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd',
};

const REPORT_SIZE = 0x4a0;
const SIGNED_BYTES = 0x2a0;
const POLICY_DEBUG = 1n << 19n;

export interface SevSnpTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
}

export interface SevSnpReport {
  version: number;
  guestSvn: number;
  policy: bigint;
  vmpl: number;
  signatureAlgo: number;
  reportData: Buffer;
  measurement: Buffer;
  hostData: Buffer;
  idKeyDigest: Buffer;
  reportedTcb: SevSnpTcb;
  chipId: Buffer;
  signature: { r: Buffer; s: Buffer };
}

export interface SevSnpAttestation extends VerifiedAttestation {
  platform: 'sev-snp';
  report: SevSnpReport;
}

function tcbOf(bytes: Buffer): SevSnpTcb {
  return { bootloader: bytes[0]!, tee: bytes[1]!, snp: bytes[6]!, microcode: bytes[7]! };
}

/** The report's r and s are 72-byte little-endian integers; P-384 wants 48 big-endian bytes each. */
function bigEndian48(littleEndian: Buffer): Buffer {
  const value = Buffer.from(littleEndian).reverse();
  if (value.subarray(0, value.length - 48).some((byte) => byte !== 0)) fail(AttestationFailure.Malformed, 'SEV-SNP: a signature component is wider than P-384');
  return value.subarray(value.length - 48);
}

export function parseSevSnpReport(bytes: Uint8Array): SevSnpReport {
  const report = Buffer.from(bytes);
  if (report.length !== REPORT_SIZE) fail(AttestationFailure.Malformed, `SEV-SNP: a report is ${REPORT_SIZE} bytes; this one is ${report.length}`);
  return {
    version: report.readUInt32LE(0x00),
    guestSvn: report.readUInt32LE(0x04),
    policy: report.readBigUInt64LE(0x08),
    vmpl: report.readUInt32LE(0x30),
    signatureAlgo: report.readUInt32LE(0x34),
    reportData: report.subarray(0x50, 0x90),
    measurement: report.subarray(0x90, 0xc0),
    hostData: report.subarray(0xc0, 0xe0),
    idKeyDigest: report.subarray(0xe0, 0x110),
    reportedTcb: tcbOf(report.subarray(0x180, 0x188)),
    chipId: report.subarray(0x1a0, 0x1e0),
    signature: { r: report.subarray(0x2a0, 0x2e8), s: report.subarray(0x2e8, 0x330) },
  };
}

/** The chip id and TCB AMD issued a VCEK for (its 1.3.6.1.4.1.3704.1.* extensions). */
export function vcekClaims(vcek: X509Certificate): { hwid: Buffer; tcb: SevSnpTcb } {
  const values = oidValues(readTlv(vcek.raw));
  const read = (oid: string) => values.get(oid) ?? fail(AttestationFailure.Malformed, `SEV-SNP: the VCEK lacks extension ${oid}`);
  return {
    hwid: octetsOf(read('1.3.6.1.4.1.3704.1.4')),
    tcb: {
      bootloader: integerOf(read('1.3.6.1.4.1.3704.1.3.1')),
      tee: integerOf(read('1.3.6.1.4.1.3704.1.3.2')),
      snp: integerOf(read('1.3.6.1.4.1.3704.1.3.3')),
      microcode: integerOf(read('1.3.6.1.4.1.3704.1.3.8')),
    },
  };
}

/**
 * Checks a report at `now` against its VCEK (DER) and AMD's ASK+ARK (PEM, as AMD's KDS serves cert_chain):
 * VCEK ← ASK ← pinned ARK, the VCEK issued for this chip and TCB, the report's ECDSA P-384 signature, and (unless
 * allowDebug) a guest policy that forbids debugging, which would let the hypervisor decrypt guest memory.
 */
export function verifySevSnpReport(
  reportBytes: Uint8Array,
  certificates: { vcek: Uint8Array; askArkPem: string },
  options: { now: Date; allowDebug?: boolean; product?: keyof typeof AMD_ARK_SHA256 },
): SevSnpAttestation {
  const report = parseSevSnpReport(reportBytes);
  if (report.version < 2) fail(AttestationFailure.Malformed, `SEV-SNP: report version ${report.version}; 2 or later expected`);
  if (report.signatureAlgo !== 1) fail(AttestationFailure.Malformed, `SEV-SNP: signature algorithm ${report.signatureAlgo}; 1 (ECDSA P-384 with SHA-384) expected`);

  const vcek = parseCertificate(certificates.vcek, 'SEV-SNP: the VCEK');
  const [ask, ark, ...extra] = certificatesFromPem(certificates.askArkPem, 'SEV-SNP: the ASK/ARK chain');
  if (!ask || !ark || extra.length > 0) fail(AttestationFailure.Malformed, 'SEV-SNP: the ASK/ARK chain must hold the ASK then the ARK');
  const product = options.product ?? 'Milan';
  verifyChain([vcek, ask, ark], AMD_ARK_SHA256[product] ?? fail(AttestationFailure.RootNotPinned, `SEV-SNP: no ARK pinned for ${product}`), options.now, 'SEV-SNP');

  const claims = vcekClaims(vcek);
  if (!claims.hwid.equals(report.chipId)) fail(AttestationFailure.ChainInvalid, 'SEV-SNP: the VCEK was issued for another chip (hwID ≠ the report chip_id)');
  for (const field of ['bootloader', 'tee', 'snp', 'microcode'] as const) {
    if (claims.tcb[field] !== report.reportedTcb[field]) {
      fail(AttestationFailure.ChainInvalid, `SEV-SNP: the VCEK was issued for ${field} SPL ${claims.tcb[field]}, the report says ${report.reportedTcb[field]}`);
    }
  }

  const signature = Buffer.concat([bigEndian48(report.signature.r), bigEndian48(report.signature.s)]);
  const signed = verifySignature('sha384', Buffer.from(reportBytes).subarray(0, SIGNED_BYTES), { key: vcek.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!signed) fail(AttestationFailure.SignatureInvalid, 'SEV-SNP: the report signature does not verify under the VCEK');

  const debug = (report.policy & POLICY_DEBUG) !== 0n;
  if (debug && !options.allowDebug) {
    fail(AttestationFailure.DebugMode, `SEV-SNP: the guest policy 0x${report.policy.toString(16)} allows debugging (bit 19), so the hypervisor can decrypt its memory`);
  }
  return { platform: 'sev-snp', measurement: report.measurement.toString('hex'), reportData: Buffer.from(report.reportData), debug, issuedAt: null, report };
}
