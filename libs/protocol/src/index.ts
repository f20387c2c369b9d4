export { ErrorCode, HTTP_STATUS_BY_CODE } from './error-codes';
export { DoppelError, type ErrorBody } from './doppel-error';
export { ISSUE_ERROR_CODE, errorCodeOfIssues } from './issue-error-code';
export { CLIENT_JSON_LIMITS, clientJsonProblem, errorCodeOfClientJsonProblem, type ClientJsonProblem } from './client-json';
export * from './chat-events';
export { canonicalJson } from './canonical-json';
export { sha256Hex, personaContentHash } from './content-hash';
export * from './ops-events';
export type { ClientLimits } from './client-limits';
