import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DoppelError, ErrorCode, HTTP_STATUS_BY_CODE, type ErrorBody } from '@doppel/protocol';

/** Every HTTP error leaves as { code, message, details? } with a stable code; internals never leak. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toResponse(exception);
    response.status(status).json(body);
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof DoppelError) return { status: exception.httpStatus, body: exception.toBody() };
    // body-parser errors are plain errors with a status and a type.
    const parserError = exception as { status?: number; type?: string };
    if (parserError.type === 'entity.too.large') {
      return { status: 413, body: { code: ErrorCode.PayloadTooLarge, message: 'The request body is larger than the server accepts.' } };
    }
    if (parserError.type === 'entity.parse.failed') {
      return { status: 400, body: { code: ErrorCode.ValidationFailed, message: 'The request body is not valid JSON.' } };
    }
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
