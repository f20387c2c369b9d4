// One line per HTTP request at LOG_LEVEL=verbose: what was asked, the answer, and the peer the socket came from.
// For a request served through OHTTP the peer is the gateway itself and `via=ohttp` is added; the outer POST /ohttp
// shows the relay. The client's own address never reaches the gateway, so it cannot appear here.
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { MaybeInnerRequest } from '../ohttp/inner-requests';

const logger = new Logger('Http');

export function accessLog(request: Request, response: Response, next: NextFunction): void {
  const startedAt = process.hrtime.bigint();
  response.once('close', () => {
    const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
    const path = (request.originalUrl ?? request.url).split('?')[0];
    const via = (request as MaybeInnerRequest).viaOhttp ? ' via=ohttp' : '';
    logger.verbose(`${request.method} ${path} ${response.statusCode} ${ms.toFixed(1)}ms peer=${request.socket.remoteAddress ?? '-'}${via}`);
  });
  next();
}
