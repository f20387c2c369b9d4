// Persona knowledge documents: creators upload text or Markdown, which workers chunk and embed for retrieval.
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { KnowledgeService, type KnowledgeDocument, type KnowledgeDocumentView, type KnowledgeUpload } from '@doppel/knowledge';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const jsonUploadSchema = z.strictObject({
  title: z.string().max(1000),
  /** text/markdown or text/plain. */
  mediaType: z.string().max(200).default('text/markdown'),
  content: z.string(),
});
const rawUploadQuerySchema = z.strictObject({ title: z.string().max(1000) });

@ApiTags('knowledge')
@ApiBearerAuth()
@Controller('personas/:id/knowledge')
export class KnowledgeController {
  constructor(private readonly knowledge: KnowledgeService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Creators: add a knowledge document (text or Markdown, up to KNOWLEDGE_MAX_BYTES) shared by every consumer of the persona. ' +
      'Send JSON {title, mediaType, content}, or the document itself as text/markdown or text/plain with ?title=. ' +
      'It is indexed in the background: status pending → ready (or failed, with the reason).',
  })
  @ApiConsumes('application/json', 'text/markdown', 'text/plain')
  @ApiBody({ schema: openApiSchema(jsonUploadSchema) })
  @ApiQuery({ name: 'title', required: false, description: 'The title, when the body is the document itself.' })
  upload(
    @CurrentAccount() account: Account,
    @Param('id') personaId: string,
    @Body() body: unknown,
    @Query() query: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<KnowledgeDocumentView> {
    return this.knowledge.upload(personaId, account.id, uploadOf(body, query, contentType));
  }

  @Get()
  @ApiOperation({ summary: 'Creators: the persona’s knowledge documents, newest first, with indexing status and chunk count.' })
  list(@CurrentAccount() account: Account, @Param('id') personaId: string): Promise<KnowledgeDocumentView[]> {
    return this.knowledge.list(personaId, account.id);
  }

  @Get(':documentId')
  @ApiOperation({ summary: 'Creators: one knowledge document, with its content.' })
  get(@CurrentAccount() account: Account, @Param('id') personaId: string, @Param('documentId') documentId: string): Promise<KnowledgeDocument> {
    return this.knowledge.get(personaId, documentId, account.id);
  }

  @Put(':documentId')
  @ApiOperation({
    summary:
      'Creators: replace a document’s content (a new revision). Its chunks are swapped in one step once the new revision is indexed; until then the previous ones keep serving.',
  })
  @ApiConsumes('application/json', 'text/markdown', 'text/plain')
  @ApiBody({ schema: openApiSchema(jsonUploadSchema) })
  @ApiQuery({ name: 'title', required: false, description: 'The title, when the body is the document itself.' })
  reupload(
    @CurrentAccount() account: Account,
    @Param('id') personaId: string,
    @Param('documentId') documentId: string,
    @Body() body: unknown,
    @Query() query: unknown,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<KnowledgeDocumentView> {
    return this.knowledge.reupload(personaId, documentId, account.id, uploadOf(body, query, contentType));
  }

  @Delete(':documentId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Creators: delete a document and its chunks; no later prompt uses them.' })
  async delete(@CurrentAccount() account: Account, @Param('id') personaId: string, @Param('documentId') documentId: string): Promise<void> {
    await this.knowledge.delete(personaId, documentId, account.id);
  }
}

/** A JSON body names everything; a text body (see KnowledgeBodyParser) is the document, titled by the query. */
function uploadOf(body: unknown, query: unknown, contentType: string | undefined): KnowledgeUpload {
  if (typeof body === 'string') {
    const { title } = new ZodValidationPipe(rawUploadQuerySchema, 'query').transform(query);
    return { title, mediaType: contentType ?? '', content: new ZodValidationPipe(z.string(), 'document').transform(body) };
  }
  if (!contentType?.toLowerCase().startsWith('application/json')) {
    throw new DoppelError(
      ErrorCode.KnowledgeUnsupportedType,
      `Send the document as JSON {title, mediaType, content}, or as text/markdown or text/plain with ?title=; not as "${contentType ?? 'no content type'}".`,
    );
  }
  return new ZodValidationPipe(jsonUploadSchema, 'knowledge document').transform(body);
}
