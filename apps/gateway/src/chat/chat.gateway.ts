import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayDisconnect, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { z } from 'zod';
import { AccountsService } from '@doppel/accounts';
import { TurnIntakeService, TurnLookup } from '@doppel/conversations';
import { CHAT_NAMESPACE, DoppelError, ErrorCode, type TurnResumeAck, type TurnSendAck } from '@doppel/protocol';
import { verificationLevelSchema } from '@doppel/verification';
import { bearerToken } from '../auth/api-key.guard';
import { TurnRelayService, type ChatSocket } from './turn-relay.service';

const turnSendSchema = z.strictObject({
  conversationId: z.string().min(1).max(64),
  // Length limits are the intake's (configurable) business; this only caps what we parse at all.
  text: z.string().max(1_000_000),
  clientTurnId: z.string().min(1).max(64),
  verification: verificationLevelSchema.optional(),
});

const turnResumeSchema = z.strictObject({
  turnId: z.string().uuid(),
  afterSeq: z.number().int().min(-1),
  attempt: z.number().int().min(1).max(100).optional(),
});

@WebSocketGateway({ namespace: CHAT_NAMESPACE, cors: { origin: true }, maxHttpBufferSize: 1_000_000 })
export class ChatGateway implements OnGatewayInit, OnGatewayDisconnect {
  private readonly logger = new Logger(ChatGateway.name);

  constructor(
    private readonly accounts: AccountsService,
    private readonly intake: TurnIntakeService,
    private readonly relay: TurnRelayService,
    private readonly turns: TurnLookup,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      const token = typeof auth?.token === 'string' ? auth.token : bearerToken(socket.handshake.headers.authorization);
      this.accounts
        .authenticate(token)
        .then((account) => {
          if (!account) {
            const error = new Error('A valid API key is required: connect with auth: { token: "dpl_…" }.') as Error & { data: unknown };
            error.data = { code: ErrorCode.Unauthenticated };
            return next(error);
          }
          (socket as ChatSocket).data.accountId = account.id;
          next();
        })
        .catch((error: unknown) => {
          this.logger.error(`handshake failed: ${(error as Error).message}`);
          const failure = new Error('Authentication is unavailable right now; try again.') as Error & { data: unknown };
          failure.data = { code: ErrorCode.Internal };
          next(failure);
        });
    });
  }

  @SubscribeMessage('turn:send')
  async onTurnSend(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnSendAck> {
    const parsed = turnSendSchema.safeParse(payload);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: ErrorCode.ValidationFailed,
          message: `turn:send needs { conversationId, text, clientTurnId, verification? }: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
        },
      };
    }
    try {
      const accepted = await this.intake.accept(socket.data.accountId, parsed.data);
      // After the ack has gone out: queued, then the stream, in that order on this socket.
      setImmediate(() => {
        socket.emit('turn:queued', { turnId: accepted.turnId, conversationId: accepted.conversationId, clientTurnId: parsed.data.clientTurnId });
        this.relay.forward(socket, accepted.turnId);
      });
      return { ok: true, turnId: accepted.turnId, duplicate: accepted.duplicate, verification: accepted.verification };
    } catch (error) {
      if (error instanceof DoppelError) return { ok: false, error: error.toBody() };
      this.logger.error(`turn:send failed: ${(error as Error).stack ?? String(error)}`);
      return { ok: false, error: { code: ErrorCode.Internal, message: 'The turn could not be accepted; try again.' } };
    }
  }

  @SubscribeMessage('turn:resume')
  async onTurnResume(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<TurnResumeAck> {
    const parsed = turnResumeSchema.safeParse(payload);
    if (!parsed.success) {
      return { ok: false, error: { code: ErrorCode.ValidationFailed, message: 'turn:resume needs { turnId, afterSeq, attempt? }.' } };
    }
    try {
      const { turnId, afterSeq, attempt } = parsed.data;
      const turn = await this.turns.findOwned(turnId, socket.data.accountId);
      if (!turn) return { ok: false, error: { code: ErrorCode.TurnNotFound, message: `Turn ${turnId} does not exist or is not yours.` } };
      if (await this.relay.streamExists(turnId)) {
        this.relay.forward(socket, turnId, { afterSeq, attempt: attempt ?? 1 });
      } else if (turn.status === 'done' || turn.status === 'failed') {
        // The stream has expired; the stored turn is the record.
        const final = await this.turns.finalEvent(turnId);
        setImmediate(() => (final.type === 'done' ? socket.emit('turn:done', final.event) : socket.emit('turn:error', final.event)));
      } else {
        this.relay.forward(socket, turnId, { afterSeq, attempt: attempt ?? 1 });
      }
      return { ok: true, status: turn.status };
    } catch (error) {
      this.logger.error(`turn:resume failed: ${(error as Error).message}`);
      return { ok: false, error: { code: ErrorCode.Internal, message: 'The turn could not be resumed; try again.' } };
    }
  }

  handleDisconnect(socket: ChatSocket): void {
    this.relay.dropSocket(socket.id);
  }
}
