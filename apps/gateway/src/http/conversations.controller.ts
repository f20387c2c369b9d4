import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { ConversationsService, type AcceptedTurn } from '@doppel/conversations';
import {
  turnEditPayloadSchema,
  turnRegeneratePayloadSchema,
  type AlternativeView,
  type ConversationView,
  type MessageView,
  type Page,
} from '@doppel/protocol';
import { labelOfSpec } from '@doppel/verification';
import { TurnAdmission } from '../chat/turn-admission.service';
import { PersonaAccess } from '../shares/persona-access.service';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, pageQuerySchema, ZodValidationPipe } from './zod-validation.pipe';

const createConversationSchema = z.strictObject({ personaId: z.uuid(), greetingIndex: z.number().int().min(0).max(20).default(0) });
const rateSchema = z.strictObject({ score: z.number().int().min(1).max(5) });
// turn:regenerate and turn:edit, with the conversation (and the message) in the path.
const regenerateSchema = turnRegeneratePayloadSchema.omit({ conversationId: true });
const editSchema = turnEditPayloadSchema.omit({ conversationId: true, messageId: true });
const messagesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(512).optional(),
});

@ApiTags('conversations')
@ApiBearerAuth()
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly admission: TurnAdmission,
    private readonly access: PersonaAccess,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "Start a conversation with a persona; its greeting is the first message." })
  @ApiBody({ schema: openApiSchema(createConversationSchema) })
  async create(
    @CurrentAccount() account: Account,
    @Body(new ZodValidationPipe(createConversationSchema, 'conversation')) body: z.infer<typeof createConversationSchema>,
  ): Promise<ConversationView> {
    await this.access.checkPersona(account.id, body.personaId);
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

  @Post(':id/regenerate')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Another reply to your last message, kept beside the earlier ones as alternatives; follow it with turn:resume or GET /turns/:id.',
  })
  @ApiBody({ schema: openApiSchema(regenerateSchema) })
  regenerate(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(regenerateSchema, 'regenerate')) body: z.infer<typeof regenerateSchema>,
  ): Promise<AcceptedTurn> {
    return this.admission.accept(account.id, { kind: 'regenerate', conversationId: id, ...body, verification: labelOfSpec(body.verification) });
  }

  @Put(':id/messages/:messageId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Edit your last message and answer it again; replies to the old text leave the conversation and its context.' })
  @ApiBody({ schema: openApiSchema(editSchema) })
  edit(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Body(new ZodValidationPipe(editSchema, 'edit')) body: z.infer<typeof editSchema>,
  ): Promise<AcceptedTurn> {
    return this.admission.accept(account.id, { kind: 'edit', conversationId: id, messageId, ...body, verification: labelOfSpec(body.verification) });
  }

  @Get(':id/messages/:messageId/alternatives')
  @ApiOperation({ summary: 'Every reply to the same message as this one (regenerated alternatives), oldest first, with the chosen one marked.' })
  alternatives(@CurrentAccount() account: Account, @Param('id') id: string, @Param('messageId') messageId: string): Promise<AlternativeView[]> {
    return this.conversations.listAlternatives(id, messageId, account.id);
  }

  @Post(':id/messages/:messageId/choose')
  @HttpCode(200)
  @ApiOperation({ summary: 'Show this alternative reply; only the chosen one is in the context of later turns.' })
  choose(@CurrentAccount() account: Account, @Param('id') id: string, @Param('messageId') messageId: string): Promise<AlternativeView[]> {
    return this.conversations.chooseAlternative(id, messageId, account.id);
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
