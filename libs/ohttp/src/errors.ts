/** Why an Oblivious HTTP message or key configuration was refused. */
export enum OhttpErrorCode {
  /** The request names a key id, or a KEM/KDF/AEAD, that the gateway does not hold (RFC 9458 §5.2). */
  KeyUnknown = 'OHTTP_KEY_UNKNOWN',
  /** The key configuration's hash is not one the client was given out of band. */
  KeyConfigNotPinned = 'OHTTP_KEY_CONFIG_NOT_PINNED',
  /** A key configuration or key list that does not parse. */
  KeyConfigInvalid = 'OHTTP_KEY_CONFIG_INVALID',
  /** Authentication failed: the ciphertext, a header byte or the encapsulated key was changed. */
  DecryptFailed = 'OHTTP_DECRYPT_FAILED',
  /** The message ends before its structure does (including a chunked message without its final chunk). */
  Truncated = 'OHTTP_TRUNCATED',
  /** The bytes decrypt but are not a well-formed message. */
  Malformed = 'OHTTP_MALFORMED',
  /** The same encapsulated request was seen before within the replay window. */
  Replayed = 'OHTTP_REPLAYED',
  /** The inner request's Date is missing or outside the gateway's replay window. */
  Stale = 'OHTTP_STALE',
}

export class OhttpError extends Error {
  constructor(readonly code: OhttpErrorCode, message: string) {
    super(message);
    this.name = 'OhttpError';
  }
}
