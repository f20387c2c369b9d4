import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayDisconnect, type OnGatewayInit } from '@nestjs/websockets';
import type Redis from 'ioredis';
import type { Namespace } from 'socket.io';
import { z } from 'zod';
import { RateLimiter, SocketCounter } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { TurnRequest } from '@doppel/conversations';
import {
  CHAT_NAMESPACE,
  DoppelError,
  ErrorCode,
  turnEditPayloadSchema,
  turnRegeneratePayloadSchema,
  turnResumePayloadSchema,
  turnSendPayloadSchema,
  type TurnResumeAck,
  type TurnSendAck,
  type VerificationSpec,
} from '@doppel/protocol';
import { REDIS } from '@doppel/redis';
import { TurnLookup } from '@doppel/turns';
import { labelOfSpec } from '@doppel/verification';
import { KeyAuthenticator } from '../auth/key-authenticator.service';
import { authenticateHandshake, connectRefusal } from '../auth/socket-auth';
import { CHAT_GATEWAY_OPTIONS, failedEvent, invalidPayload } from './event-payloads';
import { SocketLiveness } from './socket-liveness';
import { TurnAdmission } from './turn-admission.service';
import { TurnRelayService, type ChatSocket } from './turn-relay.service';

/** The payload with the proof it asks for as the canonical label, which the intake takes. */
const labelled = <P extends { verification?: VerificationSpec }>(payload: P) => ({ ...payload, verification: labelOfSpec(payload.verification) });

/** A socket whose gateway stopped refreshing it (crashed) stops counting after this long. */
const SOCKET_STALE_MS = 60_000;

@WebSocketGateway({ namespace: CHAT_NAMESPACE, ...CHAT_GATEWAY_OPTIONS })
export class ChatGateway implements OnGatewayInit, OnGatewayDisconnect, OnModuleDestroy {
  private readonly logger = new Logger(ChatGateway.name);

  constructor(
    private readonly accounts: KeyAuthenticator,
    private readonly admission: TurnAdmission,
    private readonly relay: TurnRelayService,
    private readonly turns: TurnLookup,
    private readonly rateLimiter: RateLimiter,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.sockets = new SocketCounter(redis, config.redis.prefix, SOCKET_STALE_MS);
  }

  private readonly sockets: SocketCounter;
  private liveness: SocketLiveness | null = null;

  afterInit(namespace: Namespace): void {
    this.liveness = new SocketLiveness(
      SOCKET_STALE_MS,
      function* () {
        for (const socket of namespace.sockets.values()) yield { id: socket.id, accountId: (socket as ChatSocket).data.accountId };
      },
      (accountId, socketId) => this.sockets.refresh(accountId, socketId),
    );
    namespace.use(
      authenticateHandshake(this.accounts, this.logger, async (socket, account) => {
        const refusal = await this.admit(socket as ChatSocket, account.id);
        if (!refusal) (socket as ChatSocket).data.accountId = account.id;
        return refusal;
      }),
    );
  }

  @SubscribeMessage('turn:send')
  onTurnSend(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnSendAck> {
    return this.startTurn(socket, 'turn:send', payload, turnSendPayloadSchema, (data) => ({ ...labelled(data), kind: 'send' as const }));
  }

  @SubscribeMessage('turn:regenerate')
  onTurnRegenerate(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnSendAck> {
    return this.startTurn(socket, 'turn:regenerate', payload, turnRegeneratePayloadSchema, (data) => ({ ...labelled(data), kind: 'regenerate' as const }));
  }

  @SubscribeMessage('turn:edit')
  onTurnEdit(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnSendAck> {
    return this.startTurn(socket, 'turn:edit', payload, turnEditPayloadSchema, (data) => ({ ...labelled(data), kind: 'edit' as const }));
  }

  /** Validates, admits (rate limit + intake), acks, then streams the turn to this socket. */
  private async startTurn<T extends z.ZodType>(
    socket: ChatSocket,
    event: string,
    payload: unknown,
    schema: T,
    toRequest: (data: z.infer<T>) => TurnRequest,
  ): Promise<TurnSendAck> {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return invalidPayload(event, schema, parsed.error);
    try {
      const request = toRequest(parsed.data);
      const accepted = await this.admission.accept(socket.data.accountId, request);
      // A resend of a turn this socket follows: no chunk of the old relay may come after this ack (see stopForwarding).
      this.relay.stopForwarding(socket, accepted.turnId);
      // After the ack has gone out: queued, then the stream, in that order on this socket.
      setImmediate(() => {
        socket.emit('turn:queued', { turnId: accepted.turnId, conversationId: accepted.conversationId, clientTurnId: request.clientTurnId });
        this.relay.forward(socket, accepted.turnId);
      });
      return { ok: true, turnId: accepted.turnId, duplicate: accepted.duplicate, verification: accepted.verification };
    } catch (error) {
      return failedEvent(this.logger, event, error);
    }
  }

  @SubscribeMessage('turn:resume')
  async onTurnResume(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnResumeAck> {
    const parsed = turnResumePayloadSchema.safeParse(payload);
    if (!parsed.success) return invalidPayload('turn:resume', turnResumePayloadSchema, parsed.error);
    try {
      const { turnId, afterSeq, attempt } = parsed.data;
      const turn = await this.turns.findOwned(turnId, socket.data.accountId);
      if (!turn) throw new DoppelError(ErrorCode.TurnNotFound, `Turn ${turnId} does not exist or is not yours.`);
      if (await this.relay.streamExists(turnId)) {
        this.relay.forward(socket, turnId, { afterSeq, attempt: attempt ?? 1 });
      } else if (turn.status === 'done' || turn.status === 'failed') {
        // The stream has expired (or a Redis failover lost it whole); the stored turn is the record.
        const final = await this.turns.finalEvent(turnId);
        setImmediate(() => this.relay.sendStored(socket, turnId, final, { afterSeq, attempt: attempt ?? 1 }));
      } else {
        this.relay.forward(socket, turnId, { afterSeq, attempt: attempt ?? 1 });
      }
      return { ok: true, status: turn.status };
    } catch (error) {
      return failedEvent(this.logger, 'turn:resume', error);
    }
  }

  /** Connection rate and concurrent sockets per key; an Error (sent as connect_error) when refused. */
  private async admit(socket: ChatSocket, accountId: string): Promise<Error | null> {
    const refuse = (code: ErrorCode, message: string, retryAfterSeconds: number) => connectRefusal(code, message, { retryAfterSeconds });
    const capacity = this.admission.control.admitConnection();
    if (!capacity.admitted) {
      return refuse(ErrorCode.Overloaded, `Doppel is at capacity right now (${capacity.reason}); connect again in ${capacity.retryAfterSeconds} s.`, capacity.retryAfterSeconds);
    }
    const rate = await this.rateLimiter.hit('connections', accountId, this.config.gateway.connectionsPerMinute);
    if (!rate.allowed) {
      return refuse(ErrorCode.RateLimited, `More than ${this.config.gateway.connectionsPerMinute} connections a minute on this key; retry in ${rate.retryAfterSeconds} s.`, rate.retryAfterSeconds);
    }
    if (!(await this.sockets.admit(accountId, socket.id, this.config.gateway.maxSocketsPerKey))) {
      return refuse(ErrorCode.TooManySockets, `This key already has ${this.config.gateway.maxSocketsPerKey} open sockets; close one first.`, 5);
    }
    return null;
  }

  onModuleDestroy(): void {
    this.liveness?.close();
  }

  handleDisconnect(socket: ChatSocket): void {
    this.relay.dropSocket(socket.id);
    if (socket.data.accountId) void this.sockets.release(socket.data.accountId, socket.id).catch(() => {});
  }
}
