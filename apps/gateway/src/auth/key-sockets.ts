// The open sockets of each API key on this gateway, so a key that stops working can take its sockets with it.
import type { Socket } from 'socket.io';
import { ErrorCode, type ErrorBody } from '@doppel/protocol';

const REVOKED: { ok: false; error: ErrorBody } = {
  ok: false,
  error: { code: ErrorCode.Unauthenticated, message: 'The API key of this connection was revoked or rotated; connect again with a current key.' },
};

/** How long a revoked socket may stay open for the answers of events it sent before (each a refusal). */
const IN_FLIGHT_GRACE_MS = 2000;

interface Watched {
  accountId: string;
  /** Events received whose ack has not gone out yet. */
  inFlight: number;
  revoked: boolean;
}

export class KeySockets {
  private readonly byKeyPrefix = new Map<string, Map<Socket, Watched>>();

  /**
   * Registers a socket that authenticated with this key, and guards its events: once the key is revoked, an event
   * arriving is answered UNAUTHENTICATED without running, and one already running is answered UNAUTHENTICATED too.
   */
  watch(socket: Socket, accountId: string, keyPrefix: string): void {
    let sockets = this.byKeyPrefix.get(keyPrefix);
    if (!sockets) this.byKeyPrefix.set(keyPrefix, (sockets = new Map()));
    const watched: Watched = { accountId, inFlight: 0, revoked: false };
    sockets.set(socket, watched);
    socket.on('disconnect', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.byKeyPrefix.get(keyPrefix) === sockets) this.byKeyPrefix.delete(keyPrefix);
    });
    socket.use((packet, next) => {
      const last = packet.length - 1;
      const ack = packet[last] as unknown;
      if (watched.revoked) {
        if (typeof ack === 'function') ack(REVOKED);
        return;
      }
      if (typeof ack === 'function') {
        watched.inFlight += 1;
        packet[last] = (...answer: unknown[]) => {
          watched.inFlight -= 1;
          ack(...(watched.revoked ? [REVOKED] : answer));
          if (watched.revoked && watched.inFlight === 0) socket.disconnect(true);
        };
      }
      next();
    });
  }

  /** Key prefixes with open sockets here. */
  keyPrefixes(): string[] {
    return [...this.byKeyPrefix.keys()];
  }

  /**
   * Refuses and closes every socket opened with this key (of this account, when given): at once, or as soon as the
   * events it already sent are answered (refused), within IN_FLIGHT_GRACE_MS. Returns how many.
   */
  revoke(keyPrefix: string, accountId?: string): number {
    const sockets = this.byKeyPrefix.get(keyPrefix);
    if (!sockets) return 0;
    let revoked = 0;
    for (const [socket, watched] of sockets) {
      if (watched.revoked || (accountId !== undefined && watched.accountId !== accountId)) continue;
      watched.revoked = true;
      revoked += 1;
      if (watched.inFlight === 0) socket.disconnect(true);
      else setTimeout(() => socket.disconnect(true), IN_FLIGHT_GRACE_MS).unref();
    }
    return revoked;
  }
}
