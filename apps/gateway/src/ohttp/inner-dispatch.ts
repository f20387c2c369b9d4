// Sends a decapsulated binary HTTP request to this gateway's own HTTP listener and hands back the response as a
// stream. Only the inner request's own method, path, headers and body travel: hop-by-hop and forwarding headers are
// dropped, so nothing about the sender's network (nor the relay's) reaches the handlers.
import { Agent, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BinaryRequest, HeaderList } from '@doppel/ohttp';
import { INNER_REQUEST_HEADER, INNER_REQUEST_TOKEN } from './inner-requests';

const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
  INNER_REQUEST_HEADER,
]);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'access-control-allow-origin', 'vary']);

export interface InnerResponse {
  status: number;
  headers: HeaderList;
  body: IncomingMessage;
}

export class InnerDispatcher {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly server: () => Server) {}

  /** Refuses what must not be served from inside an encapsulated request. */
  static refusal(request: BinaryRequest): string | null {
    if (/^\/(ohttp|ohttp-keys)(\/|\?|$)/.test(request.path)) return 'OHTTP requests cannot be nested';
    if (/^\/socket\.io(\/|\?|$)/.test(request.path)) return 'socket.io does not run inside OHTTP; use POST /v1/chat/completions';
    return null;
  }

  dispatch(request: BinaryRequest, signal: AbortSignal): Promise<InnerResponse> {
    const address = this.server().address() as AddressInfo | null;
    if (!address || typeof address !== 'object') return Promise.reject(new Error('the gateway is not listening'));
    const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of request.headers) {
      if (DROPPED_REQUEST_HEADERS.has(name)) continue;
      const existing = headers[name];
      headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    headers[INNER_REQUEST_HEADER] = INNER_REQUEST_TOKEN;
    headers['content-length'] = String(request.body.length);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        // From the gateway's own address, so an inner request's peer is the gateway itself.
        { host, localAddress: host, port: address.port, method: request.method, path: request.path, headers, agent: this.agent, signal, setHost: true },
        (response) => {
          const responseHeaders: HeaderList = [];
          for (let i = 0; i < response.rawHeaders.length; i += 2) {
            const name = response.rawHeaders[i]!.toLowerCase();
            if (!DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders.push([name, response.rawHeaders[i + 1]!]);
          }
          resolve({ status: response.statusCode ?? 502, headers: responseHeaders, body: response });
        },
      );
      outgoing.once('error', reject);
      outgoing.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
