// socket.io namespace /ops: operators connect with their API key and get a snapshot about once a second.
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { ErrorCode, OPS_NAMESPACE, type OpsClientToServerEvents, type OpsServerToClientEvents } from '@doppel/protocol';
import { KeyAuthenticator } from '../auth/key-authenticator.service';
import { authenticateHandshake, connectRefusal } from '../auth/socket-auth';
import { OpsSnapshotService } from './ops-snapshot.service';

const SNAPSHOT_INTERVAL_MS = 1000;

type OpsSocket = Socket<OpsClientToServerEvents, OpsServerToClientEvents>;

@WebSocketGateway({ namespace: OPS_NAMESPACE, cors: { origin: true } })
export class OpsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger(OpsGateway.name);
  private timer: NodeJS.Timeout | null = null;
  private computing = false;

  constructor(
    private readonly accounts: KeyAuthenticator,
    private readonly snapshots: OpsSnapshotService,
  ) {}

  afterInit(namespace: Namespace<OpsClientToServerEvents, OpsServerToClientEvents>): void {
    namespace.use(
      authenticateHandshake(this.accounts, this.logger, async (_socket, account) =>
        account.roles.includes('operator') ? null : connectRefusal(ErrorCode.Forbidden, 'The /ops namespace is for accounts with the operator role.'),
      ),
    );
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
