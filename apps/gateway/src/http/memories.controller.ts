import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { MemoryRepository, type MemoryView } from '@doppel/memory';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(512).optional(),
  pinned: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
});
const updateSchema = z.strictObject({ pinned: z.boolean() });

/** What a persona remembers about the caller, and how to make it forget. Only ever the caller's own memories. */
@ApiTags('memories')
@ApiBearerAuth()
@Controller()
export class MemoriesController {
  constructor(
    private readonly memories: MemoryRepository,
    private readonly personas: PersonasService,
  ) {}

  @Get('personas/:id/memories')
  @ApiOperation({ summary: 'Your memories held by this persona (facts, messages; pinned ones marked), newest first; ?pinned=true for pinned only.' })
  async list(
    @CurrentAccount() account: Account,
    @Param('id') personaId: string,
    @Query(new ZodValidationPipe(listQuerySchema, 'query')) query: z.infer<typeof listQuerySchema>,
  ): Promise<{ items: MemoryView[]; nextCursor: string | null }> {
    await this.assertPersonaKnown(personaId, account.id);
    return this.memories.listForConsumer(personaId, account.id, query);
  }

  @Delete('personas/:id/memories')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make this persona forget everything about you (rows and vectors).' })
  async forgetAll(@CurrentAccount() account: Account, @Param('id') personaId: string): Promise<{ deleted: number }> {
    await this.assertPersonaKnown(personaId, account.id);
    return { deleted: await this.memories.deleteAllForConsumer(personaId, account.id) };
  }

  @Delete('memories/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your memories (row and vector).' })
  async forgetOne(@CurrentAccount() account: Account, @Param('id') memoryId: string): Promise<void> {
    if (!(await this.memories.deleteOne(memoryId, account.id))) {
      throw new DoppelError(ErrorCode.MemoryNotFound, `Memory ${memoryId} does not exist or is not yours.`);
    }
  }

  @Patch('memories/:id')
  @ApiOperation({ summary: 'Pin one of your memories (it then enters every prompt of that persona) or unpin it.' })
  @ApiBody({ schema: openApiSchema(updateSchema) })
  async update(
    @CurrentAccount() account: Account,
    @Param('id') memoryId: string,
    @Body(new ZodValidationPipe(updateSchema, 'memory')) body: z.infer<typeof updateSchema>,
  ): Promise<MemoryView> {
    const memory = await this.memories.setPinned(memoryId, account.id, body.pinned);
    if (!memory) throw new DoppelError(ErrorCode.MemoryNotFound, `Memory ${memoryId} does not exist or is not yours.`);
    return memory;
  }

  /** Archived or private personas the caller once talked to still hold memories, so ask the table, not visibility. */
  private async assertPersonaKnown(personaId: string, accountId: string): Promise<void> {
    await this.personas.getVisible(personaId, accountId).catch(async (error: unknown) => {
      if (!(await this.personas.hasConversationWith(personaId, accountId))) throw error;
    });
  }
}
