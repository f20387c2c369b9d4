// The Oblivious Gateway Resource (RFC 9458 §6): opens an encapsulated request with one of this gateway's keys,
// serves the binary HTTP request inside it through the gateway's own listener, and seals the reply — whole, or
// chunk by chunk (draft-ietf-ohai-chunked-ohttp) so a streamed reply leaves as it is produced.
import type { Server } from 'node:http';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import {
  decapsulateRequest,
  decodeRequest,
  encodeResponse,
  fromHex,
  indeterminateResponse,
  OhttpError,
  OhttpErrorCode,
  OhttpKeyRing,
  type BinaryRequest,
  type DecapsulatedRequest,
  type PublishedKey,
} from '@doppel/ohttp';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { REDIS } from '@doppel/redis';
import { InnerDispatcher } from './inner-dispatch';
import { ReplayGuard } from './replay-guard';

/** Where the reply goes: the outer HTTP response, written by the controller's adapter. */
export interface OuterResponse {
  start(contentType: string): void;
  write(bytes: Uint8Array): Promise<void>;
  end(bytes: Uint8Array): void;
  /** Ends the outer response abruptly (the client then sees a truncated chunked reply). */
  destroy(): void;
  /** Fires when the client (via the relay) goes away before the end. */
  signal: AbortSignal;
}

const ERROR_CODE_OF: Record<OhttpErrorCode, ErrorCode> = {
  [OhttpErrorCode.KeyUnknown]: ErrorCode.OhttpKeyUnknown,
  [OhttpErrorCode.KeyConfigNotPinned]: ErrorCode.OhttpKeyUnknown,
  [OhttpErrorCode.KeyConfigInvalid]: ErrorCode.OhttpMalformed,
  [OhttpErrorCode.DecryptFailed]: ErrorCode.OhttpDecryptFailed,
  [OhttpErrorCode.Truncated]: ErrorCode.OhttpTruncated,
  [OhttpErrorCode.Malformed]: ErrorCode.OhttpMalformed,
  [OhttpErrorCode.Replayed]: ErrorCode.OhttpReplayed,
  [OhttpErrorCode.Stale]: ErrorCode.OhttpStale,
};

@Injectable()
export class OhttpGateway implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Ohttp');
  private ring: OhttpKeyRing | null = null;
  private readonly dispatcher: InnerDispatcher;
  private readonly replays: ReplayGuard;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis,
    adapterHost: HttpAdapterHost,
  ) {
    this.dispatcher = new InnerDispatcher(() => adapterHost.httpAdapter.getHttpServer() as Server);
    this.replays = new ReplayGuard(redis, config.redis.prefix, config.ohttp.replayWindowMs);
  }

  async onModuleInit(): Promise<void> {
    if (this.config.ohttp.keys.length === 0) return;
    this.ring = await OhttpKeyRing.create(this.config.ohttp.keys.map(({ keyId, seedHex }) => ({ keyId, seed: fromHex(seedHex) })));
    this.logger.log(`OHTTP gateway keys (newest first): ${this.ring.published.map((key) => `id ${key.keyId} sha256 ${key.hash}`).join(', ')}`);
  }

  onModuleDestroy(): void {
    this.dispatcher.close();
  }

  get maxRequestBytes(): number {
    return this.config.ohttp.maxRequestBytes;
  }

  keyRing(): OhttpKeyRing {
    if (!this.ring) throw new DoppelError(ErrorCode.OhttpNotConfigured, 'This gateway serves no Oblivious HTTP (OHTTP_KEYS is not set).');
    return this.ring;
  }

  publishedKeys(): PublishedKey[] {
    return this.keyRing().published;
  }

  /** Opens the request; outer errors (before anything is written) are thrown as DoppelErrors. */
  async open(body: Uint8Array, chunked: boolean): Promise<DecapsulatedRequest> {
    const ring = this.keyRing();
    try {
      return await decapsulateRequest(body, chunked, (keyId) => ring.key(keyId));
    } catch (error) {
      if (error instanceof OhttpError) throw new DoppelError(ERROR_CODE_OF[error.code], error.message);
      throw error;
    }
  }

  /** Serves an opened request and writes the sealed reply. */
  async serve(opened: DecapsulatedRequest, outer: OuterResponse): Promise<void> {
    let request: BinaryRequest;
    try {
      request = decodeRequest(opened.message);
    } catch (error) {
      if (!(error instanceof OhttpError)) throw error;
      return this.sealedError(opened, outer, 400, ErrorCode.OhttpMalformed, `The binary HTTP request inside is not valid: ${error.message}`);
    }
    const stale = this.replays.staleness(request.headers);
    if (stale) return this.sealedError(opened, outer, 400, ErrorCode.OhttpStale, `${stale}; send the current time in Date.`);
    if (!(await this.replays.firstUse(opened.enc))) {
      throw new DoppelError(ErrorCode.OhttpReplayed, 'This encapsulated request was already served; a client seals every request anew.');
    }
    const refusal = InnerDispatcher.refusal(request);
    if (refusal) return this.sealedError(opened, outer, 400, ErrorCode.ValidationFailed, refusal);

    const inner = await this.dispatcher.dispatch(request, outer.signal);
    if (!opened.chunked) {
      const pieces: Buffer[] = [];
      for await (const piece of inner.body) pieces.push(piece as Buffer);
      outer.start('message/ohttp-res');
      outer.end(await opened.sealResponse(encodeResponse({ status: inner.status, headers: inner.headers, body: Buffer.concat(pieces) })));
      return;
    }
    const sealer = opened.chunkedResponseSealer();
    outer.start('message/ohttp-chunked-res');
    try {
      await outer.write(await sealer.start());
      await outer.write(await sealer.chunk(indeterminateResponse.head({ status: inner.status, headers: inner.headers })));
      for await (const piece of inner.body) await outer.write(await sealer.chunk(indeterminateResponse.content(piece as Buffer)));
      outer.end(await sealer.final(indeterminateResponse.end()));
    } catch (error) {
      // The inner response broke off or the client left: end without the final chunk, which the client reads as truncation.
      outer.destroy();
      if (!outer.signal.aborted) this.logger.warn(`an OHTTP reply broke off: ${(error as Error).message}`);
    }
  }

  private async sealedError(opened: DecapsulatedRequest, outer: OuterResponse, status: number, code: ErrorCode, message: string): Promise<void> {
    const reply = {
      status,
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        ['date', new Date().toUTCString()],
      ] as [string, string][],
    };
    const body = new TextEncoder().encode(JSON.stringify({ code, message }));
    if (!opened.chunked) {
      outer.start('message/ohttp-res');
      outer.end(await opened.sealResponse(encodeResponse({ ...reply, body })));
      return;
    }
    const sealer = opened.chunkedResponseSealer();
    outer.start('message/ohttp-chunked-res');
    await outer.write(await sealer.start());
    await outer.write(await sealer.chunk(indeterminateResponse.head(reply)));
    outer.end(await sealer.final(Uint8Array.from([...indeterminateResponse.content(body), ...indeterminateResponse.end()])));
  }
}

