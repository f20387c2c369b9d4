export { OhttpError, OhttpErrorCode } from './errors';
export { toHex, fromHex } from './bytes';
export {
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  indeterminateResponse,
  ResponseDecoder,
  type BinaryRequest,
  type BinaryResponse,
  type BinaryResponseHead,
  type HeaderList,
  type ResponseEvent,
} from './bhttp';
export {
  encodeKeyConfig,
  decodeKeyConfig,
  encodeKeyConfigList,
  decodeKeyConfigList,
  keyConfigHash,
  pickSymmetric,
  type KeyConfig,
} from './key-config';
export { AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256, aeadName, type SymmetricSuite } from './suites';
export {
  MEDIA_TYPE,
  encapsulateRequest,
  decapsulateRequest,
  ChunkedResponseOpener,
  ChunkedResponseSealer,
  type EncapsulatedRequest,
  type DecapsulatedRequest,
  type GatewayKey,
} from './encapsulation';
export { OhttpKeyRing, parseKeySecrets, generateKeySecret, type KeySecret, type PublishedKey } from './key-ring';
export { OhttpClient, OhttpTransportError, header, type OhttpClientOptions, type InnerRequest, type InnerResponse, type StreamedInnerResponse } from './client';
export { privateChat, PrivateChatError, type PrivateChatEvent, type PrivateChatRequest } from './private-chat';
