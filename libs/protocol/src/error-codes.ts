/** Every error a client can see carries one of these stable codes, plus a human message. */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  MessageEmpty = 'MESSAGE_EMPTY',
  MessageTooLong = 'MESSAGE_TOO_LONG',
  Unauthenticated = 'UNAUTHENTICATED',
  PersonaNotFound = 'PERSONA_NOT_FOUND',
  PersonaArchived = 'PERSONA_ARCHIVED',
  ConversationNotFound = 'CONVERSATION_NOT_FOUND',
  RouteNotFound = 'ROUTE_NOT_FOUND',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  QueueUnavailable = 'QUEUE_UNAVAILABLE',
  ModelFailed = 'MODEL_FAILED',
  TurnFailed = 'TURN_FAILED',
  Internal = 'INTERNAL',
}

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.MessageEmpty]: 400,
  [ErrorCode.MessageTooLong]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.PersonaNotFound]: 404,
  [ErrorCode.PersonaArchived]: 409,
  [ErrorCode.ConversationNotFound]: 404,
  [ErrorCode.RouteNotFound]: 404,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.QueueUnavailable]: 503,
  [ErrorCode.ModelFailed]: 502,
  [ErrorCode.TurnFailed]: 500,
  [ErrorCode.Internal]: 500,
};
