import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { memoryListQuerySchema, memoryPinSchema, type MemoryPage, type MemoryView } from '@doppel/protocol';
import { CurrentAccount } from '../auth/api-key.guard';
import { ConsumerMemories } from '../memories/consumer-memories.service';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

/** What a persona remembers about the caller, and how to make it forget. Only ever the caller's own memories. */
@ApiTags('memories')
@ApiBearerAuth()
@Controller()
export class MemoriesController {
  constructor(private readonly memories: ConsumerMemories) {}

  @Get('personas/:id/memories')
  @ApiOperation({ summary: 'Your memories held by this persona (facts, messages; pinned ones marked), newest first; ?pinned=true for pinned only.' })
  list(
    @CurrentAccount() account: Account,
    @Param('id') personaId: string,
    @Query(new ZodValidationPipe(memoryListQuerySchema, 'query')) query: z.infer<typeof memoryListQuerySchema>,
  ): Promise<MemoryPage> {
    return this.memories.list(personaId, account.id, query);
  }

  @Delete('personas/:id/memories')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make this persona forget everything about you (rows and vectors).' })
  forgetAll(@CurrentAccount() account: Account, @Param('id') personaId: string): Promise<{ deleted: number }> {
    return this.memories.forgetAll(personaId, account.id);
  }

  @Delete('memories/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one of your memories (row and vector).' })
  forgetOne(@CurrentAccount() account: Account, @Param('id') memoryId: string): Promise<void> {
    return this.memories.forgetOne(memoryId, account.id);
  }

  @Patch('memories/:id')
  @ApiOperation({ summary: 'Pin one of your memories (it then enters every prompt of that persona) or unpin it.' })
  @ApiBody({ schema: openApiSchema(memoryPinSchema) })
  update(
    @CurrentAccount() account: Account,
    @Param('id') memoryId: string,
    @Body(new ZodValidationPipe(memoryPinSchema, 'memory')) body: z.infer<typeof memoryPinSchema>,
  ): Promise<MemoryView> {
    return this.memories.setPinned(memoryId, account.id, body.pinned);
  }
}
