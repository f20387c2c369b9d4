// The API-key check every socket.io namespace runs at the handshake. Refusals reach the client as connect_error
// with `data: { code, … }`, like the REST error bodies.
import type { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Account } from '@doppel/accounts';
import { clientJsonProblem, DoppelError, ErrorCode, errorCodeOfClientJsonProblem } from '@doppel/protocol';
import { bearerToken } from './api-key.guard';
import type { KeyAuthenticator } from './key-authenticator.service';

export function connectRefusal(code: ErrorCode, message: string, details: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { data: { code, ...details } });
}

/**
 * A namespace middleware: the key from `auth.token` (or an Authorization header) must belong to an account, then
 * `admit` may still refuse (role, limits) by returning an Error, or accept by returning null. An admitted socket is
 * closed when its key is rotated or revoked.
 */
export function authenticateHandshake(keys: KeyAuthenticator, logger: Logger, admit: (socket: Socket, account: Account) => Promise<Error | null>) {
  return (socket: Socket, next: (error?: Error) => void): void => {
    const auth = socket.handshake.auth as { token?: unknown };
    const token = typeof auth?.token === 'string' ? auth.token : bearerToken(socket.handshake.headers.authorization);
    keys
      .authenticate(token)
      .then(async (key) => {
        if (!key) return next(connectRefusal(ErrorCode.Unauthenticated, 'A valid API key is required: connect with auth: { token: "dpl_…" }.'));
        const refusal = await admit(socket, key.account);
        if (!refusal) {
          keys.watch(socket, key);
          refuseMalformedEvents(socket);
        }
        next(refusal ?? undefined);
      })
      .catch((error: unknown) => {
        // A saturated database (or anything else that says when to retry) is refused as what it is.
        if (error instanceof DoppelError) return next(connectRefusal(error.code, error.message, (error.details ?? {}) as Record<string, unknown>));
        logger.error(`handshake failed: ${(error as Error).message}`);
        next(connectRefusal(ErrorCode.Internal, 'Authentication is unavailable right now; try again.'));
      });
  };
}

/**
 * Every event's payload meets the same bounds as a REST body (nesting, size, storable text) before any handler or
 * schema sees it; one that does not is answered with a coded error ack and never dispatched.
 */
function refuseMalformedEvents(socket: Socket): void {
  socket.use((packet, next) => {
    const [event, ...args] = packet;
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (answer: unknown) => void) : null;
    const problem = clientJsonProblem(args.length === 1 ? args[0] : args);
    if (!problem) return next();
    ack?.({ ok: false, error: { code: errorCodeOfClientJsonProblem(problem), message: `The ${String(event)} payload is not valid: ${problem.message}.` } });
  });
}
