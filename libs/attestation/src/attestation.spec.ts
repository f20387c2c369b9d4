// The verifiers against real, public evidence (../shared/fixtures/tee-attestations, MANIFEST.md there): each
// document passes at a `now` inside its window and fails with the specific reason it should, and with the real clock.
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttestationError, AttestationFailure } from './errors';
import { assertKeyBinding, keyBindingDigest } from './binding';
import { NITRO_ROOT_G1_SHA256, parseNitroDocument, verifyNitroAttestation } from './nitro';
import { AMD_ARK_SHA256, verifySevSnpReport } from './sev-snp';
import { INTEL_SGX_ROOT_SHA256, parseTdxQuote, verifyTdxQuote, type TdxCollateral } from './tdx';
import { checkTeeEvidence } from './tee-evidence';
import { fingerprintOf } from './x509-chain';

const FIXTURES = resolve(__dirname, '../../..', '../shared/fixtures/tee-attestations');
const present = existsSync(join(FIXTURES, 'expected.json'));
if (!present) console.warn(`attestation fixtures not found at ${FIXTURES}: the TEE verifier tests are skipped`);
const fixture = (path: string) => readFileSync(join(FIXTURES, path));
const expected = present ? (JSON.parse(fixture('expected.json').toString('utf8')) as Record<string, any>) : {};

function failureOf(work: () => unknown): AttestationError {
  try {
    work();
  } catch (error) {
    if (error instanceof AttestationError) return error;
    throw error;
  }
  throw new Error('expected an AttestationError, and the check passed');
}

const REAL_CLOCK = new Date();

describe.skipIf(!present)('AWS Nitro attestation documents', () => {
  const docs = () => expected.nitro.docs as Record<string, Record<string, any>>;
  const insideWindow = (name: string) => new Date(docs()[name]!.timestamp_ms + 60_000);

  it('pins the AWS Nitro root G1 that AWS publishes', () => {
    const root = new X509Certificate(fixture('nitro/aws-nitro-root-g1.pem'));
    expect(fingerprintOf(root)).toBe(NITRO_ROOT_G1_SHA256);
    expect(NITRO_ROOT_G1_SHA256).toBe(expected.nitro.root.sha256);
  });

  it('accepts the production document inside its window, with its PCRs, module and fields', () => {
    const name = 'blocky-prod-2024-09-07.b64';
    const attestation = verifyNitroAttestation(fixture(`nitro/${name}`).toString('utf8'), { now: insideWindow(name) });
    const doc = docs()[name]!;
    expect(attestation.debug).toBe(false);
    expect(attestation.document.moduleId).toBe(doc.module_id);
    expect(attestation.document.timestamp.getTime()).toBe(doc.timestamp_ms);
    for (const [index, value] of Object.entries(doc.nonzero_pcrs as Record<string, string>)) expect(attestation.document.pcrs.get(Number(index))!.toString('hex')).toBe(value);
    expect(attestation.document.pcrs.get(3)!.every((byte) => byte === 0)).toBe(true);
    expect(attestation.measurement).toBe(`${doc.nonzero_pcrs['0']}${doc.nonzero_pcrs['1']}${doc.nonzero_pcrs['2']}`);
    expect(attestation.document.userData!.length).toBe(doc.user_data_len);
    expect(attestation.document.publicKey!.subarray(0, 8).toString('hex')).toBe(doc.public_key_hex_prefix);
  });

  it('checks the signature and chain of the debug documents, and refuses them as debug mode', () => {
    for (const name of ['blocky-debug-2024-09-07.b64', 'eternis-example-2024-09-09.b64']) {
      const document = fixture(`nitro/${name}`).toString('utf8');
      const refused = failureOf(() => verifyNitroAttestation(document, { now: insideWindow(name) }));
      expect(refused.failure).toBe(AttestationFailure.DebugMode);
      expect(refused.message).toMatch(/debug mode \(PCR0, PCR1 and PCR2 are all zero\)/);
      const checked = verifyNitroAttestation(document, { now: insideWindow(name), allowDebug: true });
      expect(checked.debug).toBe(true);
    }
    const eternis = verifyNitroAttestation(fixture('nitro/eternis-example-2024-09-09.b64').toString('utf8'), { now: insideWindow('eternis-example-2024-09-09.b64'), allowDebug: true });
    expect(eternis.document.nonce!.toString('hex')).toBe(docs()['eternis-example-2024-09-09.b64']!.nonce_hex);
    expect(eternis.document.publicKey!.toString('utf8')).toBe('dummy');
    expect(eternis.document.userData!.subarray(0, 2).toString('hex')).toBe('1220');
  });

  it('refuses the document whose COSE signature is wrong, though its chain is valid', () => {
    const name = 'eternis-invalid-2024-07-23.b64';
    const refused = failureOf(() => verifyNitroAttestation(fixture(`nitro/${name}`).toString('utf8'), { now: insideWindow(name), allowDebug: true }));
    expect(refused.failure).toBe(AttestationFailure.SignatureInvalid);
    expect(refused.message).toMatch(/COSE_Sign1 signature does not verify/);
  });

  it('refuses every document with the real clock: certificate expired', () => {
    for (const name of Object.keys(docs())) {
      const refused = failureOf(() => verifyNitroAttestation(fixture(`nitro/${name}`).toString('utf8'), { now: REAL_CLOCK, allowDebug: true }));
      expect(refused.failure, name).toBe(AttestationFailure.CertificateExpired);
      expect(refused.message).toMatch(/certificate expired/);
    }
  });

  it('refuses before the window opens, a flipped payload byte, and a chain not from the pinned root', () => {
    const name = 'blocky-prod-2024-09-07.b64';
    const before = new Date(Date.parse(docs()[name]!.chain_valid_from) - 1000);
    expect(failureOf(() => verifyNitroAttestation(fixture(`nitro/${name}`).toString('utf8'), { now: before })).failure).toBe(AttestationFailure.CertificateNotYetValid);

    const bytes = Buffer.from(fixture(`nitro/${name}`).toString('utf8'), 'base64');
    const parsed = parseNitroDocument(bytes);
    const moduleIdAt = bytes.indexOf(Buffer.from(parsed.document.moduleId));
    const flipped = Buffer.from(bytes);
    flipped[moduleIdAt] = flipped[moduleIdAt]! ^ 0x01;
    expect(failureOf(() => verifyNitroAttestation(flipped, { now: insideWindow(name) })).failure).toBe(AttestationFailure.SignatureInvalid);

    // A bundle whose first CA is not AWS's root: swap in the regional CA's bytes for the root's.
    const rootAt = bytes.indexOf(parsed.cabundle[0]!);
    const swapped = Buffer.from(bytes);
    swapped[rootAt + 200] = swapped[rootAt + 200]! ^ 0xff;
    expect([AttestationFailure.RootNotPinned, AttestationFailure.Malformed]).toContain(failureOf(() => verifyNitroAttestation(swapped, { now: insideWindow(name) })).failure);
  });
});

describe.skipIf(!present)('AMD SEV-SNP reports', () => {
  const report = () => fixture('sev-snp/report-milan.bin');
  const certificates = () => ({ vcek: fixture('sev-snp/vcek-milan.der'), askArkPem: fixture('sev-snp/ask_ark_milan.pem').toString('utf8') });
  const now = new Date('2024-01-01T00:00:00Z');

  it('pins the Milan ARK', () => {
    expect(AMD_ARK_SHA256.Milan).toBe(expected.sev_snp.ark.sha256);
  });

  it('verifies the report under the VCEK ← ASK ← ARK chain, for its chip and TCB, and reads its fields', () => {
    const attestation = verifySevSnpReport(report(), certificates(), { now, allowDebug: true });
    expect(attestation.measurement).toBe(expected.sev_snp.measurement);
    expect(attestation.reportData.toString('hex')).toBe(expected.sev_snp.report_data);
    expect(attestation.report.reportedTcb).toEqual(expected.sev_snp.reported_tcb);
    expect(attestation.report.chipId.toString('hex')).toBe(expected.sev_snp.chip_id);
    expect(attestation.report.policy).toBe(BigInt(expected.sev_snp.policy));
  });

  it('refuses the report by default: its guest policy allows debugging', () => {
    const refused = failureOf(() => verifySevSnpReport(report(), certificates(), { now }));
    expect(refused.failure).toBe(AttestationFailure.DebugMode);
    expect(refused.message).toMatch(/policy 0xb0000 allows debugging \(bit 19\)/);
  });

  it('refuses a changed measurement (signature), a VCEK outside its window, and an ASK/ARK pair not from AMD', () => {
    const changed = Buffer.from(report());
    changed[0x90] = changed[0x90]! ^ 0x01;
    expect(failureOf(() => verifySevSnpReport(changed, certificates(), { now, allowDebug: true })).failure).toBe(AttestationFailure.SignatureInvalid);
    const later = failureOf(() => verifySevSnpReport(report(), certificates(), { now: new Date('2030-01-01T00:00:00Z'), allowDebug: true }));
    expect(later.failure).toBe(AttestationFailure.CertificateExpired);
    const [askPem, arkPem] = certificates().askArkPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    const onlyAsk = failureOf(() => verifySevSnpReport(report(), { ...certificates(), askArkPem: `${askPem}\n${askPem}` }, { now, allowDebug: true }));
    expect(onlyAsk.failure).toBe(AttestationFailure.RootNotPinned);
    expect(arkPem).toBeDefined();
  });

  it('with the real clock, still refuses it (debug policy) and its binding, since a report carries no time of its own', () => {
    expect(failureOf(() => verifySevSnpReport(report(), certificates(), { now: REAL_CLOCK })).failure).toBe(AttestationFailure.DebugMode);
    const checked = verifySevSnpReport(report(), certificates(), { now: REAL_CLOCK, allowDebug: true });
    const unbound = failureOf(() => assertKeyBinding(checked, '0x' + '11'.repeat(20), REAL_CLOCK.getTime(), { now: REAL_CLOCK, maxAgeMs: 3_600_000 }));
    expect(unbound.failure).toBe(AttestationFailure.BindingMismatch);
  });
});

describe.skipIf(!present)('Intel TDX quotes', () => {
  const quoteBytes = () => fixture('tdx/quote-v4-SPR-E4.dat');
  const collateral = (): TdxCollateral => ({
    tcbInfoJson: fixture('tdx/sample_tcbInfo_response.json').toString('utf8'),
    qeIdentityJson: fixture('tdx/sample_qeIdentity_response.json').toString('utf8'),
    tcbSigningChainPem: fixture('tdx/tcb_signing_chain.pem').toString('utf8'),
  });
  const now = new Date(expected.tdx?.collateral.pin_now ?? 0);

  it('parses the v4 quote and tolerates the trailing bytes of the test vector', () => {
    const quote = parseTdxQuote(quoteBytes());
    expect(quote.trailingBytes).toBe(39);
    expect(quote.td.mrTd.toString('hex')).toBe(expected.tdx.mrtd);
    expect(quote.td.rtmrs.map((rtmr) => rtmr.toString('hex')).slice(0, 3)).toEqual([expected.tdx.rtmr0, expected.tdx.rtmr1, expected.tdx.rtmr2]);
    expect(quote.td.reportData.toString('hex')).toBe(expected.tdx.report_data);
    expect(quote.qeVendorId.toString('hex')).toBe(expected.tdx.qe_vendor_id);
    expect(INTEL_SGX_ROOT_SHA256).toBe(expected.tdx.pck_chain_in_quote[2].sha256);
  });

  it('verifies the quote, QE report, PCK chain and collateral at the pinned time; the sample TCB info does not list this platform', () => {
    // Every signature, chain and collateral check passes; TCB level matching finds the PCK's SGX components
    // (3,3,2,2,2,1,0,2) below both levels of the sample TCB info (5,5,2,2,3,1,0,3), which Intel's library refuses.
    const refused = failureOf(() => verifyTdxQuote(quoteBytes(), collateral(), { now }));
    expect(refused.failure).toBe(AttestationFailure.TcbUnrecognized);
    expect(refused.message).toMatch(/PCK SGX components 3,3,2,2,2,1,0,2.*below every level of Intel's TCB info for FMSPC 50806f000000/);
    const attestation = verifyTdxQuote(quoteBytes(), collateral(), { now, tcbPolicy: 'report' });
    expect(attestation.debug).toBe(false);
    expect(attestation.fmspc).toBe(expected.tdx.fmspc);
    expect(attestation.tcbStatus).toBe('Unrecognized');
    expect(attestation.qeTcbStatus).toBe('UpToDate');
    expect(attestation.measurement).toBe(`${expected.tdx.mrtd}${expected.tdx.rtmr0}${expected.tdx.rtmr1}${expected.tdx.rtmr2}`);
  });

  it('refuses a changed TD report, a changed QE report, and altered collateral', () => {
    const changed = Buffer.from(quoteBytes());
    changed[48 + 16 + 48 * 2 + 8 * 3] ^= 0x01; // first byte of MRTD
    expect(failureOf(() => verifyTdxQuote(changed, collateral(), { now, tcbPolicy: 'report' })).failure).toBe(AttestationFailure.SignatureInvalid);
    const qe = Buffer.from(quoteBytes());
    qe[632 + 4 + 128 + 6 + 64] ^= 0x01; // a byte of the QE report's MRENCLAVE
    expect(failureOf(() => verifyTdxQuote(qe, collateral(), { now, tcbPolicy: 'report' })).failure).toBe(AttestationFailure.SignatureInvalid);
    // Lowering a level's requirement so the platform would match it breaks Intel's signature.
    const tampered = { ...collateral(), tcbInfoJson: collateral().tcbInfoJson.replace('{"svn":5,"category":"BIOS","type":"Early Microcode Update"}', '{"svn":3,"category":"BIOS","type":"Early Microcode Update"}') };
    expect(tampered.tcbInfoJson).not.toBe(collateral().tcbInfoJson);
    const refused = failureOf(() => verifyTdxQuote(quoteBytes(), tampered, { now, tcbPolicy: 'report' }));
    expect(refused.failure).toBe(AttestationFailure.CollateralInvalid);
    expect(refused.message).toMatch(/signature does not verify/);
  });

  it('refuses it once the collateral is past its next update, and with the real clock (TCB signing certificate expired)', () => {
    expect(failureOf(() => verifyTdxQuote(quoteBytes(), collateral(), { now: new Date('2023-07-20T00:00:00Z'), tcbPolicy: 'report' })).failure).toBe(AttestationFailure.CollateralExpired);
    const real = failureOf(() => verifyTdxQuote(quoteBytes(), collateral(), { now: REAL_CLOCK, tcbPolicy: 'report' }));
    expect(real.failure).toBe(AttestationFailure.CertificateExpired);
    expect(real.message).toMatch(/certificate expired: TDX TCB signing leaf certificate \(Intel SGX TCB Signing\)/);
  });
});

describe('key binding', () => {
  const address = '0x8ba1f109551bd432803012645ac136ddd64dba72';

  it('is a fixed digest of address and time, and binds nothing else', () => {
    const digest = keyBindingDigest(address, 1_725_719_859_545);
    expect(digest.length).toBe(32);
    expect(keyBindingDigest(address.toUpperCase().replace('0X', '0x'), 1_725_719_859_545)).toEqual(digest);
    expect(keyBindingDigest(address, 1_725_719_859_546)).not.toEqual(digest);
    expect(keyBindingDigest('0x' + '00'.repeat(20), 1_725_719_859_545)).not.toEqual(digest);
  });

  it.skipIf(!present)('refuses real evidence that binds no Doppel key, and an unapproved measurement, before anything else', async () => {
    const name = 'blocky-prod-2024-09-07.b64';
    const timestamp = (expected.nitro.docs[name] as { timestamp_ms: number }).timestamp_ms;
    const evidence = { platform: 'nitro' as const, document: fixture(`nitro/${name}`).toString('utf8'), boundAt: timestamp };
    const policy = { nodeAddress: address, now: new Date(timestamp + 1000), maxAgeMs: 3_600_000, isApproved: () => true };
    await expect(checkTeeEvidence(evidence, policy)).rejects.toMatchObject({ failure: AttestationFailure.BindingMismatch, message: expect.stringMatching(/user_data does not bind node 0x8ba1/) });
    await expect(checkTeeEvidence(evidence, { ...policy, now: new Date() })).rejects.toMatchObject({ failure: AttestationFailure.CertificateExpired });
    await expect(checkTeeEvidence({ ...evidence, platform: 'tdx' }, policy)).rejects.toMatchObject({ failure: AttestationFailure.Malformed });
  });
});
