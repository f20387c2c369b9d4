// Keeps this gateway's sockets counted as live for the per-key socket limit (SocketCounter: a socket whose gateway
// stops refreshing it, a crashed one, stops counting after `staleAfterMs`). Each socket is refreshed once every third
// of that, but not all in the same instant: a slice of them each second. Refreshing every socket at once (8,000 Redis
// commands for 2,000 sockets, every 20 s) queued each turn's rate-limit and job commands behind them, and showed as
// acks and first tokens 100–400 ms late in the same second.

/** How many slices the sockets are spread over: one is refreshed each `staleAfterMs / 3 / SLICES`. */
export const SLICES = 20;

export interface LiveSocket {
  id: string;
  accountId: string | undefined;
}

export class SocketLiveness {
  private tick = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    staleAfterMs: number,
    private readonly sockets: () => Iterable<LiveSocket>,
    private readonly refresh: (accountId: string, socketId: string) => Promise<void>,
  ) {
    this.timer = setInterval(() => this.refreshSlice(), staleAfterMs / 3 / SLICES);
    this.timer.unref();
  }

  /** Refreshes the sockets of the next slice (a socket's slice is fixed by its id). */
  refreshSlice(): void {
    const slice = this.tick++ % SLICES;
    for (const socket of this.sockets()) {
      if (socket.accountId && sliceOf(socket.id) === slice) void this.refresh(socket.accountId, socket.id).catch(() => {});
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** A stable slice per socket id (socket.io ids are random). */
export function sliceOf(socketId: string): number {
  let hash = 0;
  for (let index = 0; index < socketId.length; index++) hash = (hash * 31 + socketId.charCodeAt(index)) | 0;
  return Math.abs(hash) % SLICES;
}
