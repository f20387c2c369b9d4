// The chat namespace's control events besides turns: choosing an alternative, rating a reply, and the consumer's
// memory (list, delete, pin). The same services as the REST routes, so both answer alike; ChatGateway authenticates
// every socket of the namespace before any of these run.
import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { z } from 'zod';
import { ConversationsService } from '@doppel/conversations';
import { CHAT_NAMESPACE, type ControlAck } from '@doppel/protocol';
import { ConsumerMemories } from '../memories/consumer-memories.service';
import { memoryListQuerySchema, memoryPinSchema } from '../memories/memory-schemas';
import { CHAT_GATEWAY_OPTIONS, failedEvent, invalidPayload } from './event-payloads';
import type { ChatSocket } from './turn-relay.service';

const id = z.string().min(1).max(64);
const messageChooseSchema = z.strictObject({ conversationId: id, messageId: id });
const messageRateSchema = messageChooseSchema.extend({ score: z.number().int().min(1).max(5) });
const memoryListSchema = memoryListQuerySchema.extend({ personaId: id });
const memoryDeleteSchema = z.strictObject({ memoryId: id });
const memoryPinEventSchema = memoryPinSchema.extend({ memoryId: id });

@WebSocketGateway({ namespace: CHAT_NAMESPACE, ...CHAT_GATEWAY_OPTIONS })
export class ChatControlsGateway {
  private readonly logger = new Logger(ChatControlsGateway.name);

  constructor(
    private readonly conversations: ConversationsService,
    private readonly memories: ConsumerMemories,
  ) {}

  @SubscribeMessage('message:choose')
  onChoose(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('message:choose', messageChooseSchema, payload, async (input) => ({
      alternatives: await this.conversations.chooseAlternative(input.conversationId, input.messageId, socket.data.accountId),
    }));
  }

  @SubscribeMessage('message:rate')
  onRate(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('message:rate', messageRateSchema, payload, (input) =>
      this.conversations.rate(input.conversationId, input.messageId, socket.data.accountId, input.score),
    );
  }

  @SubscribeMessage('memory:list')
  onMemoryList(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:list', memoryListSchema, payload, ({ personaId, ...options }) => this.memories.list(personaId, socket.data.accountId, options));
  }

  @SubscribeMessage('memory:delete')
  onMemoryDelete(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:delete', memoryDeleteSchema, payload, async (input) => {
      await this.memories.forgetOne(input.memoryId, socket.data.accountId);
      return { deleted: true as const };
    });
  }

  @SubscribeMessage('memory:pin')
  onMemoryPin(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown) {
    return this.handle('memory:pin', memoryPinEventSchema, payload, async (input) => ({
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
