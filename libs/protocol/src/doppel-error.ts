import type { ErrorBody } from './error-body';
import { ErrorCode, HTTP_STATUS_BY_CODE } from './error-codes';

export type { ErrorBody };

/** A failure the caller is meant to see: stable code, human message, optional structured details. */
export class DoppelError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DoppelError';
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
