// Oblivious HTTP test plumbing: a fetch that connects from a chosen loopback address, a TCP tap that records every
// byte a relay exchanges with the gateway, and the relay process itself.
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { startNode, type RunningProcess } from './processes';

/** fetch() whose connections leave from `localAddress` (127.0.0.2 plays the client), with extra headers added. */
export function fetchFrom(localAddress: string, extraHeaders: Record<string, string> = {}): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = init?.body ? Buffer.from(init.body as ArrayBuffer) : undefined;
    const headers: Record<string, string> = { ...extraHeaders, ...((init?.headers as Record<string, string>) ?? {}) };
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpRequest(url, { method: init?.method ?? 'GET', headers, localAddress, signal: init?.signal ?? undefined }, (incoming) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        const stream = incoming.statusCode === 204 ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status: incoming.statusCode, headers: responseHeaders }));
      });
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  }) as typeof fetch;
}

export interface Tap {
  url: string;
  /** Everything the relay sent to the gateway, and everything it got back, in order. */
  toGateway: () => Buffer;
  fromGateway: () => Buffer;
  close: () => Promise<void>;
}

/** A TCP pass-through on `host` to the gateway at `target`, connecting out from `host` as the relay would. */
export async function startTap(host: string, target: URL): Promise<Tap> {
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  const server: Server = createServer((inbound) => {
    const outbound = connect({ host: target.hostname, port: Number(target.port), localAddress: host });
    inbound.on('data', (piece: Buffer) => {
      sent.push(piece);
      outbound.write(piece);
    });
    outbound.on('data', (piece: Buffer) => {
      received.push(piece);
      inbound.write(piece);
    });
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => inbound.end());
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    toGateway: () => Buffer.concat(sent),
    fromGateway: () => Buffer.concat(received),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function startRelay(env: Record<string, string>): Promise<RunningProcess & { url: string }> {
  const { process: relay, match } = await startNode('dist/apps/ohttp-relay/main.js', { PATH: process.env.PATH ?? '', ...env }, /listening on (http:\/\/\S+),/);
  return { ...relay, url: `${match[1]!}/` };
}
