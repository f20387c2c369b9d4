// Persona files in and out: import an ElizaOS character (or several), a character card, or a standalone lorebook;
// export a persona as a file another runtime reads.
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { countApproximateTokens } from '@doppel/inference';
import { KnowledgeService, validateKnowledgeUpload, type KnowledgeDocumentView } from '@doppel/knowledge';
import { EXPORT_FORMATS, exportPersona, importFile, type ImportedCharacter, type ImportedPersonaResult, type ImportReport, type ImportResponse } from '@doppel/persona-cards';
import { AvatarsService, LorebooksService, PersonasService, personaVisibilitySchema } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount } from '../auth/api-key.guard';
import { receiveUpload, type UploadedFile, type UploadRules } from './file-upload';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

/** The JSON form, for small files: the file base64-encoded, bound by MAX_BODY_BYTES. */
const importJsonSchema = z.strictObject({
  fileName: z.string().min(1).max(255).optional(),
  contentBase64: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 of the file (no line breaks)'),
  /** Imports start private so the creator can read the report before anyone else sees the persona. */
  visibility: personaVisibilitySchema.default('private'),
});
/** With the file itself: multipart fields, or the query string of a raw body. */
const importFieldsSchema = z.object({
  fileName: z.string().min(1).max(255).optional(),
  visibility: personaVisibilitySchema.default('private'),
});

const exportQuerySchema = z.strictObject({ format: z.enum(EXPORT_FORMATS).default('ccv3') });

const IMPORT_TYPES = ['application/json', 'image/png', 'application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

@ApiTags('personas')
@ApiBearerAuth()
@Controller('personas')
export class PersonaImportController {
  constructor(
    private readonly personas: PersonasService,
    private readonly avatars: AvatarsService,
    private readonly lorebooks: LorebooksService,
    private readonly knowledge: KnowledgeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private uploadRules(): UploadRules {
    return {
      maxBytes: this.config.personaFiles.importMaxBytes,
      rawTypes: IMPORT_TYPES,
      tooLarge: (limitBytes) => new DoppelError(ErrorCode.ImportTooLarge, `Persona files may be at most ${limitBytes} bytes (PERSONA_IMPORT_MAX_BYTES).`, { limitBytes }),
      unsupported: (mediaType) =>
        new DoppelError(ErrorCode.ImportUnsupportedFormat, `Send the file as multipart/form-data (part "file") or as a raw ${IMPORT_TYPES.join(', ')} body; not as "${mediaType}".`),
    };
  }

  @Post('import')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Import a persona file: an ElizaOS character (one, or a JSON list of several), a Character Card V1/V2/V3 (JSON, PNG or CHARX), or a standalone lorebook ' +
      '(SillyTavern World Info, Agnai memory book). Send the file itself, as multipart/form-data (part `file`, fields `visibility`, `fileName`) or as the raw body ' +
      '(image/png, application/zip, application/json, application/octet-stream; `?visibility=&fileName=`), up to PERSONA_IMPORT_MAX_BYTES; or small files as JSON ' +
      '{contentBase64, fileName?, visibility?} within MAX_BODY_BYTES. Returns `kind: persona` (persona, knowledge documents, report), `kind: personas` (one per ' +
      'character of a list) or `kind: lorebook`.',
  })
  @ApiConsumes('multipart/form-data', 'application/json', 'image/png', 'application/zip', 'application/octet-stream')
  @ApiBody({ schema: openApiSchema(importJsonSchema) })
  @ApiQuery({ name: 'visibility', required: false, enum: ['private', 'public'] })
  @ApiQuery({ name: 'fileName', required: false })
  async import(@CurrentAccount() account: Account, @Req() request: Request): Promise<ImportResponse> {
    const file = this.fileOf(await receiveUpload(request, this.uploadRules()));
    const imported = await importFile(file.bytes, { fileName: file.fileName, countTokens: countApproximateTokens });
    if (imported.kind === 'lorebook') return { kind: 'lorebook', lorebook: await this.lorebooks.create(account.id, imported.lorebook), report: imported.report };

    const prepared = [];
    for (const character of imported.characters) {
      const avatar = character.avatar ? await this.storeAvatar(character.avatar, character.report) : undefined;
      prepared.push({ character, avatar, documents: this.acceptableKnowledge(character) });
    }
    const created = await this.personas.createMany(
      account.id,
      prepared.map(({ character, avatar }) => ({ ...character.persona, ...(avatar ? { avatar } : {}), visibility: file.visibility })),
    );
    const results: ImportedPersonaResult[] = [];
    for (const [index, persona] of created.entries()) {
      const { character, documents } = prepared[index]!;
      const uploaded: KnowledgeDocumentView[] = [];
      for (const document of documents) uploaded.push(await this.knowledge.upload(persona.id, account.id, document));
      results.push({ persona, knowledge: uploaded, report: character.report });
    }
    return results.length === 1 ? { kind: 'persona', ...results[0]! } : { kind: 'personas', personas: results };
  }

  @Get(':id/export')
  @ApiOperation({
    summary:
      'Download a persona you can see as Eliza v1 JSON (`eliza`), a Character Card V3 (`ccv3`) or a card PNG (`ccv3-png`: the avatar with `chara` and `ccv3` chunks). ' +
      'Importing it gives the same persona back (same content hash).',
  })
  @ApiProduces('application/json', 'image/png')
  async export(
    @CurrentAccount() account: Account,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(exportQuerySchema, 'query')) query: z.infer<typeof exportQuerySchema>,
  ): Promise<StreamableFile> {
    const persona = await this.personas.getVisible(id, account.id);
    const avatarPng = persona.definition.avatar ? await this.avatars.read(persona.definition.avatar, 'png') : undefined;
    const exported = exportPersona(persona.definition, query.format, avatarPng);
    return new StreamableFile(exported.content, { type: exported.mediaType, disposition: `attachment; filename="${exported.fileName}"`, length: exported.content.length });
  }

  private fileOf(upload: UploadedFile): { bytes: Buffer; fileName?: string; visibility: 'public' | 'private' } {
    if (upload.mediaType === 'application/json') {
      const wrapper = jsonWrapperOf(upload.bytes);
      if (wrapper) {
        if (upload.bytes.length > this.config.gateway.maxBodyBytes) {
          throw new DoppelError(
            ErrorCode.PayloadTooLarge,
            `The JSON form takes files up to MAX_BODY_BYTES (${this.config.gateway.maxBodyBytes} bytes of JSON); send the file itself (multipart/form-data or a raw body) instead.`,
          );
        }
        const body = new ZodValidationPipe(importJsonSchema, 'import').transform(wrapper);
        return { bytes: Buffer.from(body.contentBase64, 'base64'), fileName: body.fileName, visibility: body.visibility };
      }
    }
    const fields = new ZodValidationPipe(importFieldsSchema, 'import').transform(upload.fields);
    if (upload.bytes.length === 0) throw new DoppelError(ErrorCode.ImportInvalid, 'The file is empty.');
    return { bytes: upload.bytes, fileName: fields.fileName ?? upload.fileName, visibility: fields.visibility };
  }

  /** A picture that cannot be used is reported, and the persona is imported without it. */
  private async storeAvatar(bytes: Buffer, report: ImportReport): Promise<string | undefined> {
    try {
      return (await this.avatars.store(bytes)).hash;
    } catch (error) {
      if (!(error instanceof DoppelError)) throw error;
      report.dropped.push({ field: 'avatar', reason: error.message });
      report.warnings.push(`The card's picture was not imported: ${error.message}`);
      return undefined;
    }
  }

  /** Knowledge the upload rules refuse (too large, say) is reported, and the persona is imported without it. */
  private acceptableKnowledge(character: ImportedCharacter): ImportedCharacter['knowledge'] {
    return character.knowledge.filter((document) => {
      try {
        validateKnowledgeUpload(document, this.config.knowledge.maxBytes);
        return true;
      } catch (error) {
        if (!(error instanceof DoppelError)) throw error;
        character.report.dropped.push({ field: document.title, reason: error.message });
        character.report.warnings.push(`"${document.title}" was not imported: ${error.message}`);
        return false;
      }
    });
  }
}

/** A JSON body is the old wrapper when it is an object carrying `contentBase64`; otherwise it is the file itself. */
function jsonWrapperOf(bytes: Buffer): Record<string, unknown> | null {
  // No character or lorebook has this key, so a byte search decides most bodies without parsing them twice.
  if (!bytes.includes('"contentBase64"')) return null;
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'contentBase64' in parsed ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
