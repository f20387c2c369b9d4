// The model hub: publish models (content-addressed files, immutable versions), search them, read an entry with
// its provenance, and download its files by hash. Reading is open to anyone, as on a public hub; publishing needs a key.
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Account } from '@doppel/accounts';
import { HubSearchService, HubService, hubSearchQuerySchema, publishJsonSchema, type HubModelView, type HubSearchQuery, type HubSearchResult } from '@doppel/hub';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount, PublicRoute, RequireRole } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('hub')
@Controller('hub')
export class HubController {
  constructor(
    private readonly hub: HubService,
    private readonly hubSearch: HubSearchService,
  ) {}

  @Get('models')
  @PublicRoute()
  @ApiOperation({
    summary:
      'Search the hub: ranked results with highlights. Full text with field weights and typo correction, fused with the deployment’s embedding model; ' +
      'filters (task, format, verification, maxParameters, license, language) are exact. Without q: newest first.',
  })
  search(@Query(new ZodValidationPipe(hubSearchQuerySchema, 'search')) query: HubSearchQuery): Promise<HubSearchResult> {
    return this.hubSearch.search(query);
  }

  @Post('models')
  @HttpCode(201)
  @RequireRole('creator')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Publish a model: multipart/form-data with a `card` part (Markdown with YAML front matter; its `id` is the model name) and one `file` part per model file ' +
      '(filename = its path in the model folder), or JSON {card, remote?} for a card alone or a remote model. Optional `signer` + `signature`: an EIP-712 ' +
      'ModelPublication {name, modelHash, cardHash} by the publisher’s key, checked here. Each publication is a new immutable version; its id is the model hash.',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({ schema: openApiSchema(publishJsonSchema) })
  publish(@CurrentAccount() account: Account, @Req() request: Request, @Headers('content-type') contentType: string | undefined, @Body() body: unknown): Promise<HubModelView> {
    const type = contentType?.toLowerCase() ?? '';
    if (type.startsWith('multipart/form-data')) return this.hub.publishUpload(account.id, request);
    if (type.startsWith('application/json')) return this.hub.publishJson(account.id, new ZodValidationPipe(publishJsonSchema, 'publication').transform(body));
    throw new DoppelError(ErrorCode.HubUploadInvalid, `Publish as multipart/form-data (card + files) or as JSON (card alone, or with remote); not as "${contentType ?? 'no content type'}".`);
  }

  @Get('models/:ref')
  @PublicRoute()
  @ApiOperation({
    summary: 'One model version by its model hash (bare or 0x, as a receipt carries it), name (latest) or name@version: card, files with their sha256, provenance, versions, serving nodes.',
  })
  get(@Param('ref') ref: string): Promise<HubModelView> {
    return this.hub.get(ref);
  }

  @Get('blobs/:sha256')
  @PublicRoute()
  @ApiOperation({ summary: 'A published file by its sha256. Pulling nodes check the hash of every file before loading it.' })
  async blob(@Param('sha256') sha256: string, @Res() response: Response): Promise<void> {
    const blob = await this.hub.blob(sha256);
    response.set({
      'content-type': 'application/octet-stream',
      'content-length': String(blob.bytes),
      'cache-control': 'public, max-age=31536000, immutable',
      etag: `"${sha256}"`,
    });
    const stream = blob.open();
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  }
}
