import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { ConversationsService } from '@doppel/conversations';
import { createPersonaSchema, PersonasService, updatePersonaSchema, type PersonaPage, type PersonaView, type VersionDiff } from '@doppel/personas';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, pageQuerySchema, ZodValidationPipe } from './zod-validation.pipe';

const diffQuerySchema = z.strictObject({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) });
const listPersonasQuerySchema = pageQuerySchema.extend({
  mine: z.enum(['true', 'false']).optional(),
  q: z.string().max(100).optional(),
  tag: z.string().min(1).max(32).optional(),
});

@ApiTags('personas')
@ApiBearerAuth()
@Controller('personas')
export class PersonasController {
  constructor(
    private readonly personas: PersonasService,
    private readonly conversations: ConversationsService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a persona (version 1).' })
  @ApiBody({ schema: openApiSchema(createPersonaSchema) })
  create(@CurrentAccount() account: Account, @Body(new ZodValidationPipe(createPersonaSchema, 'persona')) body: z.infer<typeof createPersonaSchema>): Promise<PersonaView> {
    return this.personas.create(account.id, body);
  }

  @Get()
  @ApiOperation({ summary: 'Public personas and your own, newest first; `mine=true` for only yours, `q` to search name, description and tags, `tag` for one tag.' })
  list(@CurrentAccount() account: Account, @Query(new ZodValidationPipe(listPersonasQuerySchema, 'query')) query: z.infer<typeof listPersonasQuerySchema>): Promise<PersonaPage> {
    return this.personas.list(account.id, { limit: query.limit, cursor: query.cursor, mine: query.mine === 'true', search: query.q, tag: query.tag });
  }

  @Get(':id')
  get(@CurrentAccount() account: Account, @Param('id') id: string): Promise<PersonaView> {
    return this.personas.getVisible(id, account.id);
  }

  @Get(':id/versions')
  @ApiOperation({ summary: 'Every version of the persona, oldest first, with its content hash.' })
  versions(@CurrentAccount() account: Account, @Param('id') id: string) {
    return this.personas.listVersions(id, account.id);
  }

  @Get(':id/versions/diff')
  @ApiOperation({ summary: 'What changed between two versions, field by field (`from` and `to` are version numbers).' })
  diff(@CurrentAccount() account: Account, @Param('id') id: string, @Query(new ZodValidationPipe(diffQuerySchema, 'query')) query: z.infer<typeof diffQuerySchema>): Promise<VersionDiff> {
    return this.personas.diffVersions(id, account.id, query.from, query.to);
  }

  @Get(':id/ratings')
  @ApiOperation({ summary: 'Creators: how consumers rated this persona’s replies, in aggregate.' })
  ratings(@CurrentAccount() account: Account, @Param('id') id: string) {
    return this.conversations.ratingsSummary(id, account.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit: creates a new immutable version; conversations already open keep theirs.' })
  @ApiBody({ schema: openApiSchema(updatePersonaSchema) })
  update(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updatePersonaSchema, 'persona update')) body: z.infer<typeof updatePersonaSchema>,
  ): Promise<PersonaView> {
    return this.personas.update(id, account.id, body);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive: hidden from others, no new conversations or turns; history stays.' })
  archive(@CurrentAccount() account: Account, @Param('id') id: string): Promise<PersonaView> {
    return this.personas.archive(id, account.id);
  }
}
