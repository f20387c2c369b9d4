import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { ConversationsService, type ConversationView, type MessageView, type Page } from '@doppel/conversations';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, pageQuerySchema, ZodValidationPipe } from './zod-validation.pipe';

const createConversationSchema = z.strictObject({ personaId: z.uuid(), greetingIndex: z.number().int().min(0).max(20).default(0) });
const rateSchema = z.strictObject({ score: z.number().int().min(1).max(5) });
const messagesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(512).optional(),
});

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "Start a conversation with a persona; its greeting is the first message." })
  @ApiBody({ schema: openApiSchema(createConversationSchema) })
  create(
    @CurrentAccount() account: Account,
    @Body(new ZodValidationPipe(createConversationSchema, 'conversation')) body: z.infer<typeof createConversationSchema>,
  ): Promise<ConversationView> {
    return this.conversations.create(account.id, body.personaId, body.greetingIndex);
  }

  @Get()
  @ApiOperation({ summary: 'Your conversations, most recently active first.' })
  list(@CurrentAccount() account: Account, @Query(new ZodValidationPipe(pageQuerySchema, 'query')) query: z.infer<typeof pageQuerySchema>): Promise<Page<ConversationView>> {
    return this.conversations.listMine(account.id, query);
  }

  @Get(':id')
  get(@CurrentAccount() account: Account, @Param('id') id: string): Promise<ConversationView> {
    return this.conversations.getOwned(id, account.id);
  }

  @Post(':id/messages/:messageId/rating')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rate one of the persona’s replies (1–5); its creator sees ratings only in aggregate.' })
  @ApiBody({ schema: openApiSchema(rateSchema) })
  rate(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Body(new ZodValidationPipe(rateSchema, 'rating')) body: z.infer<typeof rateSchema>,
  ): Promise<{ messageId: string; score: number }> {
    return this.conversations.rate(id, messageId, account.id, body.score);
  }

  @Post(':id/move-to-latest-version')
  @HttpCode(200)
  @ApiOperation({ summary: "Move the conversation to the persona's current version; later turns use it." })
  moveToLatest(@CurrentAccount() account: Account, @Param('id') id: string): Promise<ConversationView> {
    return this.conversations.moveToLatestVersion(id, account.id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the conversation, its messages, receipts and the memories made from it.' })
  remove(@CurrentAccount() account: Account, @Param('id') id: string): Promise<void> {
    return this.conversations.delete(id, account.id);
  }

  @Get(':id/messages')
  @ApiOperation({ summary: 'The latest messages, oldest first; pass nextCursor as `before` for older ones.' })
  messages(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(messagesQuerySchema, 'query')) query: z.infer<typeof messagesQuerySchema>,
  ): Promise<Page<MessageView>> {
    return this.conversations.listMessages(id, account.id, query);
  }
}
