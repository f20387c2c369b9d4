// Persona files in and out: import an ElizaOS character or character card as a new persona; export one.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { KnowledgeService, validateKnowledgeUpload, type KnowledgeDocumentView } from '@doppel/knowledge';
import { EXPORT_FORMATS, exportPersona, importCharacter, type ImportedKnowledge, type ImportReport } from '@doppel/persona-cards';
import { DoppelError } from '@doppel/protocol';
import { PersonasService, personaVisibilitySchema, type PersonaView } from '@doppel/personas';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

// Base64 inside JSON so the upload goes through the one JSON body parser and its MAX_BODY_BYTES cap.
const importPersonaSchema = z.strictObject({
  fileName: z.string().min(1).max(255).optional(),
  contentBase64: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 of the file (no line breaks)'),
  /** Imports start private so the creator can read the report before anyone else sees the persona. */
  visibility: personaVisibilitySchema.default('private'),
});

const exportQuerySchema = z.strictObject({ format: z.enum(EXPORT_FORMATS).default('ccv3') });

@ApiTags('personas')
@ApiBearerAuth()
@Controller('personas')
export class PersonaImportController {
  constructor(
    private readonly personas: PersonasService,
    private readonly knowledge: KnowledgeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('import')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Create a persona from an ElizaOS character (v0.1, v1, later) or a Character Card V1/V2/V3 (JSON, PNG or CHARX), sent base64-encoded; returns the persona, the knowledge documents made from the file (Eliza knowledge/documents, indexed in the background) and a report of what mapped where and what was dropped.',
  })
  @ApiBody({ schema: openApiSchema(importPersonaSchema) })
  async import(
    @CurrentAccount() account: Account,
    @Body(new ZodValidationPipe(importPersonaSchema, 'import')) body: z.infer<typeof importPersonaSchema>,
  ): Promise<{ persona: PersonaView; knowledge: KnowledgeDocumentView[]; report: ImportReport }> {
    const { persona, report, knowledge } = importCharacter(Buffer.from(body.contentBase64, 'base64'), body.fileName);
    const documents = this.acceptableKnowledge(knowledge, report);
    const created = await this.personas.create(account.id, { ...persona, visibility: body.visibility });
    const uploaded: KnowledgeDocumentView[] = [];
    for (const document of documents) uploaded.push(await this.knowledge.upload(created.id, account.id, document));
    return { persona: created, knowledge: uploaded, report };
  }

  /** Knowledge the upload rules refuse (too large, say) is reported, and the persona is imported without it. */
  private acceptableKnowledge(documents: ImportedKnowledge[], report: ImportReport): ImportedKnowledge[] {
    return documents.filter((document) => {
      try {
        validateKnowledgeUpload(document, this.config.knowledge.maxBytes);
        return true;
      } catch (error) {
        if (!(error instanceof DoppelError)) throw error;
        report.dropped.push({ field: document.title, reason: error.message });
        report.warnings.push(`"${document.title}" was not imported: ${error.message}`);
        return false;
      }
    });
  }

  @Get(':id/export')
  @ApiOperation({ summary: 'Download a persona you can see as Eliza v1 JSON (`eliza`), a Character Card V3 (`ccv3`) or a V3 card PNG (`ccv3-png`).' })
  @ApiProduces('application/json', 'image/png')
  async export(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(exportQuerySchema, 'query')) query: z.infer<typeof exportQuerySchema>,
  ): Promise<StreamableFile> {
    const persona = await this.personas.getVisible(id, account.id);
    const exported = exportPersona(persona.definition, query.format);
    return new StreamableFile(exported.content, { type: exported.mediaType, disposition: `attachment; filename="${exported.fileName}"`, length: exported.content.length });
  }
}
