// Nest's socket.io adapter, with each @SubscribeMessage handler bound to a socket as one plain listener. The stock
// IoAdapter builds an rxjs pipeline per handler per socket (fromEvent → mergeMap → takeUntil(disconnect)): with nine
// handlers that was ~30 KB of closures and subscribers per connected socket, half the gateway's live heap at 2,000
// sockets (150 → 74 MB without it), and the seconds in which turns stalled for a few hundred ms were those of
// mark-compacts of that heap (heap snapshot and GC trace at `load`, loadtest/README.md, seventh round). Replies go
// back as the stock adapter sends them: a non-nil result is the ack, or an emit when it is `{ event, data }`.
import { Logger } from '@nestjs/common';
import { isFunction, isNil } from '@nestjs/common/utils/shared.utils';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, type Observable } from 'rxjs';

type Ack = (response: unknown) => void;
/** The socket.io copy Nest's adapter is built on (it may differ from the app's own). */
type Socket = Parameters<IoAdapter['bindMessageHandlers']>[0];

export class ListenerIoAdapter extends IoAdapter {
  private readonly logger = new Logger(ListenerIoAdapter.name);

  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], _transform: (data: unknown) => Observable<unknown>): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        // The shape fromEvent hands the stock adapter: one argument as itself, several as an array.
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
        void this.respond(socket, callback(data, ack), ack as Ack | undefined, isAckHandledManually ?? false).catch((error: Error) =>
          this.logger.error(`handler of ${String(message)} failed: ${error.message}`),
        );
      });
    }
  }

  /** Nest's handler proxy has already turned a thrown error into the client's `exception` event; this sends results. */
  private async respond(socket: Socket, pending: unknown, ack: Ack | undefined, ackHandledManually: boolean): Promise<void> {
    const result = await pending;
    if (!isObservable(result)) return this.reply(socket, result, ack, ackHandledManually);
    await new Promise<void>((resolve, reject) =>
      result.subscribe({ next: (response) => this.reply(socket, response, ack, ackHandledManually), error: reject, complete: resolve }),
    );
  }

  private reply(socket: Socket, response: unknown, ack: Ack | undefined, ackHandledManually: boolean): void {
    if (isNil(response)) return;
    const event = (response as { event?: unknown }).event;
    if (event) {
      socket.emit(event as string, (response as { data?: unknown }).data);
      return;
    }
    if (!ackHandledManually && isFunction(ack)) ack(response);
  }
}
