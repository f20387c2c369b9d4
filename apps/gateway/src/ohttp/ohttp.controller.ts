import { once } from 'node:events';
import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { raw, type Request, type Response } from 'express';
import { aeadName, MEDIA_TYPE } from '@doppel/ohttp';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { PublicRoute } from '../auth/api-key.guard';
import { OhttpGateway, type OuterResponse } from './ohttp-gateway.service';

/**
 * Oblivious HTTP (RFC 9458): GET /ohttp-keys publishes the key configurations, POST /ohttp takes encapsulated
 * requests from a relay. The outer request carries no API key: the inner one does, and is checked like any other.
 */
@ApiExcludeController()
@Controller()
export class OhttpController {
  constructor(private readonly gateway: OhttpGateway) {}

  @PublicRoute()
  @Get('ohttp-keys')
  keys(@Query('format') format: string | undefined, @Res() response: Response): void {
    const ring = this.gateway.keyRing();
    response.setHeader('cache-control', 'public, max-age=300');
    if (format === 'json') {
      response.json({
        keys: ring.published.map((key) => ({ keyId: key.keyId, sha256: key.hash, kem: 'X25519-HKDF-SHA256', kdf: 'HKDF-SHA256', aeads: [0x0001, 0x0003].map(aeadName) })),
        note: 'Pin these hashes from a source other than this response (the operator, the README of the deployment): a client refuses a key it was not given out of band.',
      });
      return;
    }
    response.type(MEDIA_TYPE.keys).send(Buffer.from(ring.keyConfigList));
  }

  @PublicRoute()
  @Post('ohttp')
  async encapsulated(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.gateway.keyRing();
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== MEDIA_TYPE.request && mediaType !== MEDIA_TYPE.chunkedRequest) {
      throw new DoppelError(ErrorCode.UnsupportedMediaType, `Send ${MEDIA_TYPE.request} or ${MEDIA_TYPE.chunkedRequest} (got ${JSON.stringify(mediaType.slice(0, 60) || 'none')}).`);
    }
    const body = await readBody(request, response, this.gateway.maxRequestBytes);
    const opened = await this.gateway.open(body, mediaType === MEDIA_TYPE.chunkedRequest);
    await this.gateway.serve(opened, outerResponse(response));
  }
}

function readBody(request: Request, response: Response, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    raw({ type: () => true, limit })(request, response, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type === 'entity.too.large') {
        return reject(new DoppelError(ErrorCode.PayloadTooLarge, `An encapsulated request may be at most ${limit} bytes.`));
      }
      if (error) return reject(error);
      resolve(Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : new Uint8Array(0));
    });
  });
}

function outerResponse(response: Response): OuterResponse {
  const aborter = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) aborter.abort();
  });
  return {
    signal: aborter.signal,
    start(contentType) {
      response.status(200);
      response.setHeader('content-type', contentType);
      response.setHeader('cache-control', 'no-store');
      if (contentType === MEDIA_TYPE.chunkedResponse) {
        response.setHeader('incremental', '?1');
        response.setHeader('x-accel-buffering', 'no');
        response.flushHeaders();
      }
    },
    async write(bytes) {
      if (aborter.signal.aborted) throw new Error('the client went away');
      if (!response.write(bytes)) await once(response, 'drain', { signal: aborter.signal });
    },
    end(bytes) {
      response.end(Buffer.from(bytes));
    },
    destroy() {
      response.destroy();
    },
  };
}
