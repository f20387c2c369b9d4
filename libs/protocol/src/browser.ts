// @doppel/protocol without Node: what the web app imports (apps/web maps `@doppel/protocol` here). Everything a
// client sees or sends is described once, in these files; index.ts adds the Node-only helpers for the server.
export { ErrorCode, HTTP_STATUS_BY_CODE } from './error-codes';
export { errorBodySchema, type ErrorBody } from './error-body';
export { DoppelError } from './doppel-error';
export { ISSUE_ERROR_CODE, errorCodeOfIssues } from './issue-error-code';
export { CLIENT_JSON_LIMITS, clientJsonProblem, errorCodeOfClientJsonProblem, type ClientJsonProblem } from './client-json';
export * from './chat-events';
export * from './verification-levels';
export * from './verification-spec';
export { canonicalJson } from './canonical-json';
export * from './ops-events';
export type { ClientLimits } from './client-limits';
export { ACCOUNT_ROLES } from './rest-views';
export type {
  Wire,
  Page,
  AccountRole,
  AccountView,
  ConversationView,
  MessageView,
  AlternativeView,
  MemoryKind,
  MemoryView,
  MemoryPage,
  RatingsSummary,
  KnowledgeMediaType,
  KnowledgeStatus,
  KnowledgeDocumentView,
  TwinMarketView,
  NodeDayEarnings,
  EconomicsView,
} from './rest-views';
