// socket.io namespace /ops: operators connect with their API key and get a snapshot about once a second.
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AccountsService } from '@doppel/accounts';
import { ErrorCode, OPS_NAMESPACE, type OpsClientToServerEvents, type OpsServerToClientEvents } from '@doppel/protocol';
import { bearerToken } from '../auth/api-key.guard';
import { OpsSnapshotService } from './ops-snapshot.service';

const SNAPSHOT_INTERVAL_MS = 1000;

type OpsSocket = Socket<OpsClientToServerEvents, OpsServerToClientEvents>;

function refusal(code: ErrorCode, message: string): Error {
  return Object.assign(new Error(message), { data: { code } });
}

@WebSocketGateway({ namespace: OPS_NAMESPACE, cors: { origin: true } })
export class OpsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger(OpsGateway.name);
  private timer: NodeJS.Timeout | null = null;
  private computing = false;

  constructor(
    private readonly accounts: AccountsService,
    private readonly snapshots: OpsSnapshotService,
  ) {}

  afterInit(namespace: Namespace<OpsClientToServerEvents, OpsServerToClientEvents>): void {
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      const token = typeof auth?.token === 'string' ? auth.token : bearerToken(socket.handshake.headers.authorization);
      this.accounts
        .authenticate(token)
        .then((account) => {
          if (!account) return next(refusal(ErrorCode.Unauthenticated, 'A valid API key is required: connect with auth: { token: "dpl_…" }.'));
          if (!account.roles.includes('operator')) return next(refusal(ErrorCode.Forbidden, 'The /ops namespace is for accounts with the operator role.'));
          next();
        })
        .catch((error: unknown) => {
          this.logger.error(`ops handshake failed: ${(error as Error).message}`);
          next(refusal(ErrorCode.Internal, 'Authentication is unavailable right now; try again.'));
        });
    });
    // One snapshot per tick for every operator on this gateway, computed only while someone is watching.
    this.timer = setInterval(() => {
      if (namespace.sockets.size === 0 || this.computing) return;
      this.computing = true;
      this.snapshots
        .snapshot()
        .then((snapshot) => namespace.emit('ops:snapshot', snapshot))
        .catch((error: unknown) => this.logger.warn(`ops snapshot failed: ${(error as Error).message}`))
        .finally(() => (this.computing = false));
    }, SNAPSHOT_INTERVAL_MS);
    this.timer.unref();
  }

  handleConnection(socket: OpsSocket): void {
    // The first figures straight away rather than after up to a second.
    void this.snapshots
      .snapshot()
      .then((snapshot) => socket.emit('ops:snapshot', snapshot))
      .catch((error: unknown) => this.logger.warn(`ops snapshot failed: ${(error as Error).message}`));
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
