// Doppel's errors in OpenAI's shape, for everything under /v1 (OpenAI's SDKs read `error.message/type/code/param`
// and pick an exception class by HTTP status). `code` stays Doppel's stable code, so one vocabulary serves both APIs.
import type { ErrorBody } from '@doppel/protocol';

/** Paths served in OpenAI's shapes. */
export const OPENAI_PATH = /^\/v1(\/|$)/;

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function toOpenAiError(status: number, body: ErrorBody): OpenAiErrorBody {
  return { error: { message: body.message, type: openAiErrorType(status), code: body.code, param: paramOf(body.details) } };
}

/** The request field an error is about: `param` in the details, or the first path a validation error names. */
function paramOf(details: unknown): string | null {
  if (Array.isArray(details)) {
    const path = (details[0] as { path?: unknown } | undefined)?.path;
    return typeof path === 'string' && path ? path : null;
  }
  if (details && typeof details === 'object') {
    const { param, path } = details as { param?: unknown; path?: unknown };
    if (typeof param === 'string') return param;
    if (typeof path === 'string' && path) return path;
  }
  return null;
}

/** Seconds a client should wait before retrying, when the error says (rate limits, overload). */
export function retryAfterSecondsOf(details: unknown): number | null {
  const seconds = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : null;
}
