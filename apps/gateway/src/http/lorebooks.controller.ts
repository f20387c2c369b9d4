// Standalone lorebooks (World Info): a creator's own books, attached to their personas, edited, exported in
// SillyTavern's format. Files are imported through POST /personas/import, which recognises lorebooks.
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Account } from '@doppel/accounts';
import { exportLorebook } from '@doppel/persona-cards';
import { LorebooksService, standaloneLorebookSchema, type LorebookSummary, type LorebookView } from '@doppel/personas';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('lorebooks')
@ApiBearerAuth()
@Controller('lorebooks')
export class LorebooksController {
  constructor(private readonly lorebooks: LorebooksService) {}

  @Get()
  @ApiOperation({ summary: 'Your lorebooks, newest first: name, entry count, the personas each is attached to.' })
  list(@CurrentAccount() account: Account): Promise<LorebookSummary[]> {
    return this.lorebooks.list(account.id);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a lorebook: {name, scanDepth?, tokenBudget?, entries: [{keys, content, …}]} (files: POST /personas/import).' })
  @ApiBody({ schema: openApiSchema(standaloneLorebookSchema) })
  create(@CurrentAccount() account: Account, @Body(new ZodValidationPipe(standaloneLorebookSchema, 'lorebook')) body: unknown): Promise<LorebookView> {
    return this.lorebooks.create(account.id, body);
  }

  @Get(':id')
  get(@CurrentAccount() account: Account, @Param('id') id: string): Promise<LorebookView> {
    return this.lorebooks.get(id, account.id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace the lorebook; every persona it is attached to gets a new version carrying the new entries.' })
  @ApiBody({ schema: openApiSchema(standaloneLorebookSchema) })
  update(@CurrentAccount() account: Account, @Param('id') id: string, @Body(new ZodValidationPipe(standaloneLorebookSchema, 'lorebook')) body: unknown): Promise<LorebookView> {
    return this.lorebooks.update(id, account.id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the lorebook; the personas it was attached to get a new version without it.' })
  async delete(@CurrentAccount() account: Account, @Param('id') id: string): Promise<void> {
    await this.lorebooks.delete(id, account.id);
  }

  @Post(':id/personas/:personaId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach the lorebook to one of your personas (a new persona version carries it).' })
  attach(@CurrentAccount() account: Account, @Param('id') id: string, @Param('personaId') personaId: string): Promise<LorebookView> {
    return this.lorebooks.attach(id, personaId, account.id);
  }

  @Delete(':id/personas/:personaId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Detach the lorebook from a persona (a new persona version without it).' })
  detach(@CurrentAccount() account: Account, @Param('id') id: string, @Param('personaId') personaId: string): Promise<LorebookView> {
    return this.lorebooks.detach(id, personaId, account.id);
  }

  @Get(':id/export')
  @ApiOperation({ summary: 'Download the lorebook as SillyTavern World Info JSON.' })
  @ApiProduces('application/json')
  async export(@CurrentAccount() account: Account, @Param('id') id: string): Promise<StreamableFile> {
    const lorebook = await this.lorebooks.get(id, account.id);
    const exported = exportLorebook(lorebook.book);
    return new StreamableFile(exported.content, { type: exported.mediaType, disposition: `attachment; filename="${exported.fileName}"`, length: exported.content.length });
  }
}
