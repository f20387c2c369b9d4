import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DoppelError, ErrorCode, HTTP_STATUS_BY_CODE, type ErrorBody } from '@doppel/protocol';
import { OPENAI_PATH, retryAfterSecondsOf, toOpenAiError } from '../openai/openai-error';

/**
 * Every HTTP error leaves as { code, message, details? } with a stable code (under /v1 in OpenAI's
 * { error: { message, type, code, param } }); internals never leak. A refusal that says when to retry (rate limit,
 * overload) sends Retry-After too.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const { status, body } = this.toResponse(exception);
    if (response.headersSent) {
      // A streaming route failed after it started answering; it ends its own stream.
      if (!response.writableEnded) response.end();
      return;
    }
    const retryAfter = retryAfterSecondsOf(body.details);
    if (retryAfter !== null && (status === 429 || status === 503)) response.setHeader('retry-after', String(retryAfter));
    response.status(status).json(OPENAI_PATH.test(http.getRequest<Request>().path ?? '') ? toOpenAiError(status, body) : body);
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DoppelError) return { status: exception.httpStatus, body: exception.toBody() };
    const clientError = requestError(exception);
    if (clientError) return clientError;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return { status, body: { code: ErrorCode.RouteNotFound, message: exception.message } };
      if (status < 500) return { status, body: { code: ErrorCode.ValidationFailed, message: exception.message } };
    }
    this.logger.error((exception as Error)?.stack ?? String(exception));
    return {
      status: HTTP_STATUS_BY_CODE[ErrorCode.Internal],
      body: { code: ErrorCode.Internal, message: 'Something went wrong on our side; try again, and report it if it persists.' },
    };
  }
}

/**
 * Errors Express and body-parser raise about the request itself (plain errors carrying a 4xx status and, from
 * body-parser, a type): each answered with its status and a code, never as INTERNAL.
 */
function requestError(exception: unknown): { status: number; body: ErrorBody } | null {
  const error = exception as { status?: unknown; statusCode?: unknown; type?: unknown; charset?: unknown; encoding?: unknown };
  const status = typeof error?.status === 'number' ? error.status : typeof error?.statusCode === 'number' ? error.statusCode : null;
  if (exception instanceof HttpException || status === null || status < 400 || status >= 500) return null;
  switch (error.type) {
    case 'entity.too.large':
      return { status: 413, body: { code: ErrorCode.PayloadTooLarge, message: 'The request body is larger than the server accepts.' } };
    case 'entity.parse.failed':
      return { status: 400, body: { code: ErrorCode.ValidationFailed, message: 'The request body is not valid JSON.' } };
    case 'charset.unsupported':
      return {
        status: 415,
        body: { code: ErrorCode.UnsupportedMediaType, message: `The body's charset ${JSON.stringify(String(error.charset ?? '').slice(0, 40))} is not supported; send UTF-8.` },
      };
    case 'encoding.unsupported':
      return {
        status: 415,
        body: { code: ErrorCode.UnsupportedMediaType, message: `The body's Content-Encoding ${JSON.stringify(String(error.encoding ?? '').slice(0, 40))} is not supported; send it as is, gzip or deflate.` },
      };
  }
  if (status === 413) return { status, body: { code: ErrorCode.PayloadTooLarge, message: 'The request is larger than the server accepts.' } };
  // A path with malformed percent-encoding, a body shorter than its Content-Length, an aborted upload…
  return { status, body: { code: ErrorCode.ValidationFailed, message: 'The request is malformed (its path, headers or body could not be read).' } };
}
