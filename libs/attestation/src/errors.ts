/** Why a piece of evidence was refused; each is a stable code a caller (and a test) can match on. */
export enum AttestationFailure {
  Malformed = 'MALFORMED',
  SignatureInvalid = 'SIGNATURE_INVALID',
  ChainInvalid = 'CHAIN_INVALID',
  CertificateExpired = 'CERTIFICATE_EXPIRED',
  CertificateNotYetValid = 'CERTIFICATE_NOT_YET_VALID',
  RootNotPinned = 'ROOT_NOT_PINNED',
  DebugMode = 'DEBUG_MODE',
  CollateralInvalid = 'COLLATERAL_INVALID',
  CollateralExpired = 'COLLATERAL_EXPIRED',
  TcbRevoked = 'TCB_REVOKED',
  TcbUnrecognized = 'TCB_UNRECOGNIZED',
  MeasurementNotApproved = 'MEASUREMENT_NOT_APPROVED',
  BindingMismatch = 'BINDING_MISMATCH',
  Stale = 'STALE',
  NoTeeHardware = 'NO_TEE_HARDWARE',
}

export class AttestationError extends Error {
  constructor(
    readonly failure: AttestationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AttestationError';
  }
}

export function fail(failure: AttestationFailure, message: string): never {
  throw new AttestationError(failure, message);
}
