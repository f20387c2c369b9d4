// Requests the OHTTP resource decapsulated are sent to this gateway's own listener on loopback, so they pass the
// same guards, pipes, rate limits and handlers as a direct request. This marks them: a per-process token that only
// the dispatcher knows, checked and removed before anything else reads the request.
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const INNER_REQUEST_HEADER = 'x-doppel-ohttp-inner';
export const INNER_REQUEST_TOKEN = randomBytes(32).toString('hex');

export type MaybeInnerRequest = Request & { viaOhttp?: boolean };

export function markInnerRequests(request: MaybeInnerRequest, _response: Response, next: NextFunction): void {
  const token = request.headers[INNER_REQUEST_HEADER];
  if (token !== undefined) {
    request.viaOhttp = token === INNER_REQUEST_TOKEN;
    delete request.headers[INNER_REQUEST_HEADER];
  }
  next();
}
