// An Oblivious Relay Resource (RFC 9458 §6.4): takes encapsulated requests from clients and forwards them to one
// gateway, streaming the encapsulated reply back. It holds no keys and cannot read either message. It forwards only
// the headers the exchange needs; everything that could identify the client stays here.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RelayConfig } from './relay-config';

const REQUEST_TYPES = new Set(['message/ohttp-req', 'message/ohttp-chunked-req']);
/** The only request headers that reach the gateway (besides Host and Content-Length, which the relay sets itself). */
export const FORWARDED_REQUEST_HEADERS = ['content-type', 'incremental'] as const;
/** The only gateway response headers that reach the client. */
export const FORWARDED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'incremental'] as const;

export type RelayErrorCode =
  | 'RELAY_ROUTE_NOT_FOUND'
  | 'RELAY_METHOD_NOT_ALLOWED'
  | 'RELAY_UNSUPPORTED_MEDIA_TYPE'
  | 'RELAY_PAYLOAD_TOO_LARGE'
  | 'RELAY_BAD_REQUEST'
  | 'RELAY_GATEWAY_UNREACHABLE'
  | 'RELAY_GATEWAY_TIMEOUT';

export interface RelayLog {
  (line: string): void;
}

export function createRelayHandler(config: RelayConfig, log: RelayLog) {
  const send = config.gatewayUrl.protocol === 'https:' ? httpsRequest : httpRequest;

  function fail(response: ServerResponse, status: number, code: RelayErrorCode, message: string): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...cors() });
    response.end(JSON.stringify({ code, message }));
  }

  function cors(): OutgoingHttpHeaders {
    return { 'access-control-allow-origin': config.corsOrigin, 'access-control-expose-headers': 'content-type, incremental' };
  }

  // The gateway's key configurations, fetched for clients so that the gateway never sees who asks for them.
  // They are public and the same for everyone; clients check them against their pinned hashes.
  let keys: { body: Buffer; fetchedAt: number } | null = null;
  const KEYS_TTL_MS = 300_000;
  function serveKeys(response: ServerResponse): void {
    if (keys && Date.now() - keys.fetchedAt < KEYS_TTL_MS) {
      response.writeHead(200, { 'content-type': 'application/ohttp-keys', 'cache-control': 'public, max-age=300', ...cors() }).end(keys.body);
      return;
    }
    const upstream = (config.keysUrl.protocol === 'https:' ? httpsRequest : httpRequest)(config.keysUrl, { method: 'GET', localAddress: config.localAddress, timeout: config.timeoutMs }, (reply) => {
      const pieces: Buffer[] = [];
      reply.on('data', (piece: Buffer) => pieces.push(piece));
      reply.once('end', () => {
        if (reply.statusCode !== 200) return fail(response, 502, 'RELAY_GATEWAY_UNREACHABLE', `The gateway's key configurations are not available (status ${reply.statusCode}).`);
        keys = { body: Buffer.concat(pieces), fetchedAt: Date.now() };
        serveKeys(response);
      });
    });
    upstream.once('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.once('error', () => fail(response, 502, 'RELAY_GATEWAY_UNREACHABLE', "The gateway's key configurations could not be fetched."));
    upstream.end();
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    const startedAt = Date.now();
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/ohttp-keys' && request.method === 'GET') return serveKeys(response);
    if (path !== '/') return fail(response, 404, 'RELAY_ROUTE_NOT_FOUND', 'POST encapsulated requests to /; GET /ohttp-keys for the gateway\'s keys, /health for liveness.');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { ...cors(), 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, incremental', 'access-control-max-age': '600' });
      response.end();
      return;
    }
    if (request.method !== 'POST') return fail(response, 405, 'RELAY_METHOD_NOT_ALLOWED', 'The relay takes POST only.');
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!REQUEST_TYPES.has(mediaType)) {
      return fail(response, 415, 'RELAY_UNSUPPORTED_MEDIA_TYPE', 'The relay forwards message/ohttp-req and message/ohttp-chunked-req bodies only.');
    }
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (declared > config.maxBodyBytes) return fail(response, 413, 'RELAY_PAYLOAD_TOO_LARGE', `An encapsulated request may be at most ${config.maxBodyBytes} bytes.`);

    const pieces: Buffer[] = [];
    let received = 0;
    let refused = false;
    request.on('data', (piece: Buffer) => {
      if (refused) return;
      received += piece.length;
      if (received > config.maxBodyBytes) {
        refused = true;
        fail(response, 413, 'RELAY_PAYLOAD_TOO_LARGE', `An encapsulated request may be at most ${config.maxBodyBytes} bytes.`);
        request.resume();
        return;
      }
      pieces.push(piece);
    });
    request.once('error', () => {
      refused = true;
    });
    request.once('end', () => {
      if (refused) return;
      forward(Buffer.concat(pieces), mediaType, request, response, startedAt);
    });
  };

  function forward(body: Buffer, mediaType: string, request: IncomingMessage, response: ServerResponse, startedAt: number): void {
    const headers: OutgoingHttpHeaders = { 'content-type': mediaType, 'content-length': body.length };
    if (request.headers.incremental) headers.incremental = String(request.headers.incremental);
    const upstream = send(
      config.gatewayUrl,
      { method: 'POST', headers, localAddress: config.localAddress, timeout: config.timeoutMs },
      (reply) => {
        const replyHeaders: OutgoingHttpHeaders = { ...cors() };
        for (const name of FORWARDED_RESPONSE_HEADERS) {
          const value = reply.headers[name];
          if (typeof value === 'string') replyHeaders[name] = value;
        }
        upstream.setTimeout(0);
        response.writeHead(reply.statusCode ?? 502, replyHeaders);
        if (reply.headers['content-type'] === 'message/ohttp-chunked-res') response.flushHeaders();
        let sent = 0;
        reply.on('data', (piece: Buffer) => {
          sent += piece.length;
          response.write(piece);
        });
        reply.once('end', () => {
          response.end();
          if (config.logRequests) log(`forwarded ${body.length} B → ${reply.statusCode} ${sent} B in ${Date.now() - startedAt} ms`);
        });
        reply.once('error', () => response.destroy());
      },
    );
    upstream.once('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'RELAY_TIMEOUT' })));
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (response.headersSent) return response.destroy();
      if (error.code === 'RELAY_TIMEOUT') return fail(response, 504, 'RELAY_GATEWAY_TIMEOUT', `The gateway did not answer within ${config.timeoutMs} ms.`);
      log(`gateway unreachable: ${error.code ?? error.message}`);
      fail(response, 502, 'RELAY_GATEWAY_UNREACHABLE', 'The gateway could not be reached; try again or use another relay.');
    });
    // The client left (e.g. it stopped a streamed reply): stop the gateway's work too.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }
}
