// The chat namespace's control events besides turns: choosing an alternative, rating a reply, and the consumer's
// memory (list, delete, pin). The same services as the REST routes, so both answer alike; ChatGateway authenticates
// every socket of the namespace before any of these run.
import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { z } from 'zod';
import { ConversationsService } from '@doppel/conversations';
import {
  CHAT_NAMESPACE,
  memoryDeletePayloadSchema,
  memoryListPayloadSchema,
  memoryPinPayloadSchema,
  messageChoosePayloadSchema,
  messageRatePayloadSchema,
  type ControlAck,
} from '@doppel/protocol';
import { ConsumerMemories } from '../memories/consumer-memories.service';
import { CHAT_GATEWAY_OPTIONS, failedEvent, invalidPayload } from './event-payloads';
import type { ChatSocket } from './turn-relay.service';

@WebSocketGateway({ namespace: CHAT_NAMESPACE, ...CHAT_GATEWAY_OPTIONS })
export class ChatControlsGateway {
  private readonly logger = new Logger(ChatControlsGateway.name);

  constructor(
    private readonly conversations: ConversationsService,
    private readonly memories: ConsumerMemories,
  ) {}

  @SubscribeMessage('message:choose')
  onChoose(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('message:choose', messageChoosePayloadSchema, payload, async (input) => ({
      alternatives: await this.conversations.chooseAlternative(input.conversationId, input.messageId, socket.data.accountId),
    }));
  }

  @SubscribeMessage('message:rate')
  onRate(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('message:rate', messageRatePayloadSchema, payload, (input) =>
      this.conversations.rate(input.conversationId, input.messageId, socket.data.accountId, input.score),
    );
  }

  @SubscribeMessage('memory:list')
  onMemoryList(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:list', memoryListPayloadSchema, payload, ({ personaId, ...options }) => this.memories.list(personaId, socket.data.accountId, options));
  }

  @SubscribeMessage('memory:delete')
  onMemoryDelete(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:delete', memoryDeletePayloadSchema, payload, async (input) => {
      await this.memories.forgetOne(input.memoryId, socket.data.accountId);
      return { deleted: true as const };
    });
  }

  @SubscribeMessage('memory:pin')
  onMemoryPin(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:pin', memoryPinPayloadSchema, payload, async (input) => ({
      memory: await this.memories.setPinned(input.memoryId, socket.data.accountId, input.pinned),
    }));
  }

  private async handle<S extends z.ZodType, R extends object>(event: string, schema: S, payload: unknown, run: (input: z.infer<S>) => Promise<R>): Promise<ControlAck<R>> {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return invalidPayload(event, schema, parsed.error);
    try {
      return { ok: true, ...(await run(parsed.data)) };
    } catch (error) {
      return failedEvent(this.logger, event, error);
    }
  }
}
