// Certificate chains with node's own X509Certificate: each certificate signed by the next, each one valid at `now`,
// intermediates marked CA, and the last one the pinned root (by SHA-256 fingerprint of its DER).
import { createHash, X509Certificate } from 'node:crypto';
import { AttestationFailure, fail } from './errors';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function fingerprintOf(certificate: X509Certificate): string {
  return sha256Hex(certificate.raw);
}

export function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(der));
  } catch (error) {
    return fail(AttestationFailure.Malformed, `${what} is not an X.509 certificate: ${(error as Error).message}`);
  }
}

/** Splits concatenated PEM certificates, in file order. */
export function certificatesFromPem(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail(AttestationFailure.Malformed, `${what} holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      return fail(AttestationFailure.Malformed, `${what} certificate ${index} does not parse: ${(error as Error).message}`);
    }
  });
}

function subjectCn(certificate: X509Certificate): string {
  return /CN=([^\n,]+)/.exec(certificate.subject)?.[1] ?? certificate.subject.replace(/\n/g, ', ');
}

export function assertValidAt(certificate: X509Certificate, now: Date, what: string): void {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now < notBefore) fail(AttestationFailure.CertificateNotYetValid, `${what} (${subjectCn(certificate)}) is not valid before ${notBefore.toISOString()}; now is ${now.toISOString()}`);
  if (now > notAfter) fail(AttestationFailure.CertificateExpired, `certificate expired: ${what} (${subjectCn(certificate)}) was valid until ${notAfter.toISOString()}; now is ${now.toISOString()}`);
}

/**
 * `chain` runs leaf first, root last. Throws on the first failure, naming the certificate; returns the leaf.
 */
export function verifyChain(chain: X509Certificate[], pinnedRootSha256: string, now: Date, what: string): X509Certificate {
  if (chain.length < 2) fail(AttestationFailure.ChainInvalid, `${what}: a chain needs a leaf and a root; got ${chain.length} certificate(s)`);
  const root = chain[chain.length - 1]!;
  if (fingerprintOf(root) !== pinnedRootSha256.toLowerCase()) {
    fail(AttestationFailure.RootNotPinned, `${what}: the chain ends in ${subjectCn(root)} with SHA-256 ${fingerprintOf(root)}, not the pinned root ${pinnedRootSha256}`);
  }
  if (!root.verify(root.publicKey)) fail(AttestationFailure.ChainInvalid, `${what}: the root's self-signature does not verify`);
  chain.forEach((certificate, index) => {
    const label = index === 0 ? `${what} leaf certificate` : index === chain.length - 1 ? `${what} root certificate` : `${what} CA certificate ${index}`;
    assertValidAt(certificate, now, label);
    if (index > 0 && !certificate.ca) fail(AttestationFailure.ChainInvalid, `${label} (${subjectCn(certificate)}) is not a CA certificate`);
    const issuer = chain[index + 1];
    if (!issuer) return;
    if (!certificate.checkIssued(issuer)) fail(AttestationFailure.ChainInvalid, `${label} (${subjectCn(certificate)}) names another issuer than ${subjectCn(issuer)}`);
    if (!certificate.verify(issuer.publicKey)) fail(AttestationFailure.ChainInvalid, `${label} (${subjectCn(certificate)}) is not signed by ${subjectCn(issuer)}`);
  });
  return chain[0]!;
}
