// Intel TDX quotes, version 4 (ECDSA-256 attestation key): the TD report signed by the quoting enclave's
// attestation key, that key vouched for by the QE report, the QE report signed by the platform's PCK, and the
// PCK chain to Intel's SGX root. Intel's collateral (TCB info, QE identity, signed by the TCB signing key) says
// whether the platform's TCB is current, and expires: it is required, so an old quote stops verifying.
import { createHash, createPublicKey, verify as verifySignature, type KeyObject, type X509Certificate } from 'node:crypto';
import { integerOf, octetsOf, oidValues, readTlv } from './der';
import { AttestationFailure, fail } from './errors';
import type { VerifiedAttestation } from './evidence';
import { certificatesFromPem, verifyChain } from './x509-chain';

/** SHA-256 of the DER of Intel's SGX Root CA (CN=Intel SGX Root CA), which roots PCK and TCB signing chains. */
export const INTEL_SGX_ROOT_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

const HEADER_SIZE = 48;
const TD_REPORT_SIZE = 584;
const QE_REPORT_SIZE = 384;
const TEE_TYPE_TDX = 0x81;
const ATT_KEY_ECDSA_P256 = 2;
const SGX_EXTENSIONS = '1.2.840.113741.1.13.1';

export interface TdReport {
  teeTcbSvn: Buffer;
  mrSeam: Buffer;
  tdAttributes: Buffer;
  xfam: Buffer;
  mrTd: Buffer;
  mrConfigId: Buffer;
  mrOwner: Buffer;
  mrOwnerConfig: Buffer;
  rtmrs: Buffer[];
  reportData: Buffer;
}

export interface QeReport {
  raw: Buffer;
  miscSelect: number;
  attributes: Buffer;
  mrEnclave: Buffer;
  mrSigner: Buffer;
  isvProdId: number;
  isvSvn: number;
  reportData: Buffer;
}

export interface TdxQuote {
  version: number;
  qeVendorId: Buffer;
  /** Header and TD report: the bytes the attestation key signs. */
  signedBytes: Buffer;
  td: TdReport;
  signature: Buffer;
  attestationKey: Buffer;
  qeReport: QeReport;
  qeReportSignature: Buffer;
  qeAuthData: Buffer;
  pckChainPem: string;
  /** Bytes after the quote's own length (test vectors carry some); ignored. */
  trailingBytes: number;
}

export interface TdxCollateral {
  /** Intel PCS `/tdx/certification/v4/tcb` body: `{"tcbInfo":{…},"signature":"…"}`, as served (the signature is over its exact bytes). */
  tcbInfoJson: string;
  /** Intel PCS `/tdx/certification/v4/qe/identity` body. */
  qeIdentityJson: string;
  /** The TCB-Info-Issuer-Chain header: the TCB signing certificate, then the root. */
  tcbSigningChainPem: string;
}

export interface TdxAttestation extends VerifiedAttestation {
  platform: 'tdx';
  quote: TdxQuote;
  fmspc: string;
  tcbStatus: string;
  qeTcbStatus: string;
}

function cursor(bytes: Buffer) {
  let offset = 0;
  return {
    take(length: number, what: string): Buffer {
      if (offset + length > bytes.length) fail(AttestationFailure.Malformed, `TDX: the quote ends inside ${what}`);
      const slice = bytes.subarray(offset, offset + length);
      offset += length;
      return slice;
    },
    get offset() {
      return offset;
    },
  };
}

function parseTdReport(body: Buffer): TdReport {
  const read = cursor(body);
  const teeTcbSvn = read.take(16, 'TEE_TCB_SVN');
  const mrSeam = read.take(48, 'MRSEAM');
  read.take(48, 'MRSIGNERSEAM');
  read.take(8, 'SEAMATTRIBUTES');
  const tdAttributes = read.take(8, 'TDATTRIBUTES');
  const xfam = read.take(8, 'XFAM');
  const mrTd = read.take(48, 'MRTD');
  const mrConfigId = read.take(48, 'MRCONFIGID');
  const mrOwner = read.take(48, 'MROWNER');
  const mrOwnerConfig = read.take(48, 'MROWNERCONFIG');
  const rtmrs = [0, 1, 2, 3].map((index) => read.take(48, `RTMR${index}`));
  const reportData = read.take(64, 'REPORTDATA');
  return { teeTcbSvn, mrSeam, tdAttributes, xfam, mrTd, mrConfigId, mrOwner, mrOwnerConfig, rtmrs, reportData };
}

function parseQeReport(raw: Buffer): QeReport {
  return {
    raw,
    miscSelect: raw.readUInt32LE(16),
    attributes: raw.subarray(48, 64),
    mrEnclave: raw.subarray(64, 96),
    mrSigner: raw.subarray(128, 160),
    isvProdId: raw.readUInt16LE(256),
    isvSvn: raw.readUInt16LE(258),
    reportData: raw.subarray(320, 384),
  };
}

export function parseTdxQuote(input: Uint8Array): TdxQuote {
  const bytes = Buffer.from(input);
  const read = cursor(bytes);
  const header = read.take(HEADER_SIZE, 'the header');
  const version = header.readUInt16LE(0);
  if (version !== 4) fail(AttestationFailure.Malformed, `TDX: quote version ${version}; only version 4 is read here`);
  if (header.readUInt16LE(2) !== ATT_KEY_ECDSA_P256) fail(AttestationFailure.Malformed, `TDX: attestation key type ${header.readUInt16LE(2)}; 2 (ECDSA P-256) expected`);
  if (header.readUInt32LE(4) !== TEE_TYPE_TDX) fail(AttestationFailure.Malformed, `TDX: TEE type 0x${header.readUInt32LE(4).toString(16)} is not TDX (0x81)`);
  const td = parseTdReport(read.take(TD_REPORT_SIZE, 'the TD report'));
  const signedBytes = bytes.subarray(0, HEADER_SIZE + TD_REPORT_SIZE);
  const signatureDataLength = read.take(4, 'the signature length').readUInt32LE(0);
  const signatureData = cursor(read.take(signatureDataLength, 'the signature data'));
  const signature = signatureData.take(64, 'the quote signature');
  const attestationKey = signatureData.take(64, 'the attestation key');
  const outerType = signatureData.take(2, 'the certification data type').readUInt16LE(0);
  const outer = cursor(signatureData.take(signatureData.take(4, 'the certification data size').readUInt32LE(0), 'the certification data'));
  if (outerType !== 6) fail(AttestationFailure.Malformed, `TDX: certification data type ${outerType}; 6 (QE report) expected`);
  const qeReport = parseQeReport(outer.take(QE_REPORT_SIZE, 'the QE report'));
  const qeReportSignature = outer.take(64, 'the QE report signature');
  const qeAuthData = outer.take(outer.take(2, 'the QE auth data size').readUInt16LE(0), 'the QE auth data');
  const innerType = outer.take(2, 'the PCK data type').readUInt16LE(0);
  if (innerType !== 5) fail(AttestationFailure.Malformed, `TDX: PCK certification data type ${innerType}; 5 (PEM chain) expected`);
  const pckChainPem = outer.take(outer.take(4, 'the PCK data size').readUInt32LE(0), 'the PCK chain').toString('utf8');
  return {
    version,
    qeVendorId: header.subarray(12, 28),
    signedBytes,
    td,
    signature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckChainPem,
    trailingBytes: bytes.length - read.offset,
  };
}

function p256Key(rawXy: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: rawXy.subarray(0, 32).toString('base64url'), y: rawXy.subarray(32, 64).toString('base64url') }, format: 'jwk' });
}

function verifyP256(data: Buffer, key: KeyObject, rawSignature: Buffer): boolean {
  return verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, rawSignature);
}

/** The exact text of a top-level object member's value: Intel signs those bytes, not a re-serialisation. */
function rawMember(json: string, key: string): string {
  const start = json.indexOf(`"${key}":`);
  if (start < 0) fail(AttestationFailure.CollateralInvalid, `TDX collateral: no "${key}" member`);
  let index = json.indexOf('{', start);
  const from = index;
  let depth = 0;
  let inString = false;
  for (; index < json.length; index++) {
    const char = json[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return json.slice(from, index + 1);
  }
  return fail(AttestationFailure.CollateralInvalid, `TDX collateral: "${key}" is not a complete object`);
}

interface SignedCollateral<T> {
  body: T;
}

function verifyCollateral<T extends { nextUpdate: string; issueDate: string }>(json: string, member: string, signingKey: KeyObject, now: Date): SignedCollateral<T> {
  const raw = rawMember(json, member);
  let parsed: { signature?: string };
  let body: T;
  try {
    parsed = JSON.parse(json) as { signature?: string };
    body = JSON.parse(raw) as T;
  } catch (error) {
    return fail(AttestationFailure.CollateralInvalid, `TDX collateral ${member}: ${(error as Error).message}`);
  }
  if (!parsed.signature || !/^[0-9a-fA-F]{128}$/.test(parsed.signature)) fail(AttestationFailure.CollateralInvalid, `TDX collateral ${member}: no 64-byte signature`);
  if (!verifyP256(Buffer.from(raw, 'utf8'), signingKey, Buffer.from(parsed.signature, 'hex'))) {
    fail(AttestationFailure.CollateralInvalid, `TDX collateral ${member}: the signature does not verify under the TCB signing key`);
  }
  if (now > new Date(body.nextUpdate)) fail(AttestationFailure.CollateralExpired, `TDX collateral ${member} expired: next update was due ${body.nextUpdate}; now is ${now.toISOString()}`);
  if (now < new Date(body.issueDate)) fail(AttestationFailure.CollateralInvalid, `TDX collateral ${member} is issued ${body.issueDate}, after now (${now.toISOString()})`);
  return { body };
}

/** The PCK certificate's SGX extension: FMSPC, PCE id and the platform's TCB (16 component SVNs and the PCE SVN). */
export function pckClaims(pck: X509Certificate): { fmspc: string; pceId: string; componentSvns: number[]; pceSvn: number } {
  const values = oidValues(readTlv(pck.raw));
  const sgx = values.get(SGX_EXTENSIONS) ?? fail(AttestationFailure.Malformed, 'TDX: the PCK certificate has no SGX extension');
  const inner = oidValues(readTlv(octetsOf(sgx)));
  const read = (oid: string) => inner.get(`${SGX_EXTENSIONS}.${oid}`) ?? fail(AttestationFailure.Malformed, `TDX: the PCK certificate lacks SGX field ${oid}`);
  const componentSvns = Array.from({ length: 16 }, (_, index) => integerOf(read(`2.${index + 1}`)));
  return { fmspc: octetsOf(read('4')).toString('hex'), pceId: octetsOf(read('3')).toString('hex'), componentSvns, pceSvn: integerOf(read('2.17')) };
}

interface TcbInfo {
  fmspc: string;
  pceId: string;
  nextUpdate: string;
  issueDate: string;
  tcbLevels: { tcb: { sgxtcbcomponents: { svn: number }[]; pcesvn: number; tdxtcbcomponents: { svn: number }[] }; tcbStatus: string }[];
}

interface QeIdentity {
  nextUpdate: string;
  issueDate: string;
  miscselect: string;
  miscselectMask: string;
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvprodid: number;
  tcbLevels: { tcb: { isvsvn: number }; tcbStatus: string }[];
}

/**
 * Intel's TCB level matching: the first level every SVN of the platform reaches (TEE_TCB_SVN bytes 0–1 are the TDX
 * module's own version when byte 1 is set, and are then left out). 'Unrecognized' when the platform is below every
 * level the collateral lists, which Intel's verification library refuses as unsupported.
 */
function tcbStatusOf(tcbInfo: TcbInfo, pck: ReturnType<typeof pckClaims>, teeTcbSvn: Buffer): string {
  const tdxFrom = teeTcbSvn[1]! > 0 ? 2 : 0;
  for (const level of tcbInfo.tcbLevels) {
    const sgxOk = level.tcb.sgxtcbcomponents.every((component, index) => (pck.componentSvns[index] ?? 0) >= component.svn) && pck.pceSvn >= level.tcb.pcesvn;
    const tdxOk = level.tcb.tdxtcbcomponents.every((component, index) => index < tdxFrom || (teeTcbSvn[index] ?? 0) >= component.svn);
    if (sgxOk && tdxOk) return level.tcbStatus;
  }
  return 'Unrecognized';
}

/**
 * Checks a quote at `now`: the attestation key's signature over the TD report, the QE report binding that key, the
 * QE report under the PCK, the PCK chain to Intel's pinned root, the collateral (signed, unexpired, for this
 * FMSPC) and the QE identity, the TCB not revoked, and (unless allowDebug) a TD that is not debuggable.
 */
export function verifyTdxQuote(
  input: Uint8Array,
  collateral: TdxCollateral,
  options: {
    now: Date;
    allowDebug?: boolean;
    /** 'require-listed' (default): refuse a platform whose TCB matches no level of the collateral; 'report': only say so in tcbStatus. */
    tcbPolicy?: 'require-listed' | 'report';
  },
): TdxAttestation {
  const quote = parseTdxQuote(input);
  if (!verifyP256(quote.signedBytes, p256Key(quote.attestationKey), quote.signature)) {
    fail(AttestationFailure.SignatureInvalid, 'TDX: the quote signature does not verify under its attestation key');
  }
  const expectedQeData = createHash('sha256').update(Buffer.concat([quote.attestationKey, quote.qeAuthData])).digest();
  if (!quote.qeReport.reportData.subarray(0, 32).equals(expectedQeData) || quote.qeReport.reportData.subarray(32).some((byte) => byte !== 0)) {
    fail(AttestationFailure.SignatureInvalid, 'TDX: the QE report does not vouch for this attestation key (REPORTDATA ≠ SHA-256(key ‖ auth data))');
  }
  const pckChain = certificatesFromPem(quote.pckChainPem, 'TDX: the PCK chain');
  const pck = verifyChain(pckChain, INTEL_SGX_ROOT_SHA256, options.now, 'TDX PCK');
  if (!verifyP256(quote.qeReport.raw, pck.publicKey, quote.qeReportSignature)) fail(AttestationFailure.SignatureInvalid, 'TDX: the QE report signature does not verify under the PCK certificate');

  const signingChain = certificatesFromPem(collateral.tcbSigningChainPem, 'TDX: the TCB signing chain');
  const tcbSigner = verifyChain(signingChain, INTEL_SGX_ROOT_SHA256, options.now, 'TDX TCB signing');
  const tcbInfo = verifyCollateral<TcbInfo>(collateral.tcbInfoJson, 'tcbInfo', tcbSigner.publicKey, options.now).body;
  const qeIdentity = verifyCollateral<QeIdentity>(collateral.qeIdentityJson, 'enclaveIdentity', tcbSigner.publicKey, options.now).body;

  const claims = pckClaims(pck);
  if (tcbInfo.fmspc.toLowerCase() !== claims.fmspc || tcbInfo.pceId.toLowerCase() !== claims.pceId) {
    fail(AttestationFailure.CollateralInvalid, `TDX: the TCB info is for FMSPC ${tcbInfo.fmspc}/PCE ${tcbInfo.pceId}, the PCK for ${claims.fmspc}/${claims.pceId}`);
  }
  const qe = quote.qeReport;
  const masked = (value: Buffer, mask: Buffer) => Buffer.from(value.map((byte, index) => byte & (mask[index] ?? 0)));
  if (
    qe.mrSigner.toString('hex') !== qeIdentity.mrsigner.toLowerCase() ||
    qe.isvProdId !== qeIdentity.isvprodid ||
    (qe.miscSelect & parseInt(qeIdentity.miscselectMask, 16)) >>> 0 !== parseInt(qeIdentity.miscselect, 16) >>> 0 ||
    !masked(qe.attributes, Buffer.from(qeIdentity.attributesMask, 'hex')).equals(Buffer.from(qeIdentity.attributes, 'hex'))
  ) {
    fail(AttestationFailure.CollateralInvalid, 'TDX: the quoting enclave is not the one Intel\'s QE identity names (MRSIGNER, ISVPRODID, MISCSELECT or ATTRIBUTES)');
  }
  const qeTcbStatus = qeIdentity.tcbLevels.find((level) => qe.isvSvn >= level.tcb.isvsvn)?.tcbStatus ?? 'Unrecognized';
  const tcbStatus = tcbStatusOf(tcbInfo, claims, quote.td.teeTcbSvn);
  for (const [what, status] of [['platform TCB', tcbStatus], ['quoting enclave', qeTcbStatus]] as const) {
    if (status === 'Revoked') fail(AttestationFailure.TcbRevoked, `TDX: the ${what} is Revoked in Intel's collateral`);
  }
  if (tcbStatus === 'Unrecognized' && options.tcbPolicy !== 'report') {
    fail(
      AttestationFailure.TcbUnrecognized,
      `TDX: the platform's TCB (PCK SGX components ${claims.componentSvns.slice(0, 8).join(',')}…, PCE SVN ${claims.pceSvn}, TEE_TCB_SVN ${quote.td.teeTcbSvn.toString('hex')}) is below every level of Intel's TCB info for FMSPC ${claims.fmspc}`,
    );
  }
  if (qeTcbStatus === 'Unrecognized' && options.tcbPolicy !== 'report') fail(AttestationFailure.TcbUnrecognized, `TDX: the quoting enclave's ISVSVN ${qe.isvSvn} is below every level of Intel's QE identity`);

  const debug = (quote.td.tdAttributes[0]! & 0x01) !== 0;
  if (debug && !options.allowDebug) fail(AttestationFailure.DebugMode, 'TDX: the TD is debuggable (TDATTRIBUTES.DEBUG), so the host can read its state');
  return {
    platform: 'tdx',
    measurement: Buffer.concat([quote.td.mrTd, ...quote.td.rtmrs.slice(0, 3)]).toString('hex'),
    reportData: Buffer.from(quote.td.reportData),
    debug,
    issuedAt: null,
    quote,
    fmspc: claims.fmspc,
    tcbStatus,
    qeTcbStatus,
  };
}

