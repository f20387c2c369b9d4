import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';
import { of } from 'rxjs';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListenerIoAdapter } from './listener-io-adapter';

@WebSocketGateway({ namespace: '/adapter-spec' })
class SpecGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() body: unknown) {
    return { echoed: body };
  }

  @SubscribeMessage('later')
  async later(@MessageBody() body: { n: number }) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { n: body.n + 1 };
  }

  @SubscribeMessage('announce')
  announce() {
    return { event: 'announced', data: { by: 'server' } };
  }

  @SubscribeMessage('stream')
  stream() {
    return of({ event: 'part', data: 1 }, { event: 'part', data: 2 });
  }

  @SubscribeMessage('silent')
  silent() {
    return undefined;
  }

  @SubscribeMessage('refuse')
  refuse() {
    throw new WsException('not allowed');
  }
}

@Module({ providers: [SpecGateway] })
class SpecModule {}

// The stock adapter runs the same cases: the replacement must answer exactly as it does.
describe.each([
  ['ListenerIoAdapter', (app: INestApplication) => new ListenerIoAdapter(app)],
  ['IoAdapter (reference)', (app: INestApplication) => new IoAdapter(app)],
])('%s', (_name, adapterFor) => {
  let app: INestApplication;
  let client: ClientSocket;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [SpecModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(adapterFor(app));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    client = io(`http://127.0.0.1:${port}/adapter-spec`, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
  });

  afterAll(async () => {
    client?.disconnect();
    await app?.close();
  });

  it('acks a handler result, sync or async', async () => {
    await expect(client.emitWithAck('echo', { hello: 'twin' })).resolves.toEqual({ echoed: { hello: 'twin' } });
    await expect(client.emitWithAck('later', { n: 41 })).resolves.toEqual({ n: 42 });
  });

  it('emits an { event, data } result instead of acking it, each value of an observable in turn', async () => {
    const announced = new Promise((resolve) => client.once('announced', resolve));
    client.emit('announce');
    await expect(announced).resolves.toEqual({ by: 'server' });

    const parts: unknown[] = [];
    const both = new Promise<void>((resolve) =>
      client.on('part', (part: unknown) => {
        parts.push(part);
        if (parts.length === 2) resolve();
      }),
    );
    client.emit('stream');
    await both;
    expect(parts).toEqual([1, 2]);
  });

  it('sends no ack for a nil result, and an exception event for a thrown WsException; the socket keeps working', async () => {
    const acked = client.timeout(200).emitWithAck('silent');
    await expect(acked).rejects.toThrow();

    const exception = new Promise((resolve) => client.once('exception', resolve));
    client.emit('refuse', {});
    await expect(exception).resolves.toMatchObject({ status: 'error', message: 'not allowed' });
    await expect(client.emitWithAck('echo', 'still here')).resolves.toEqual({ echoed: 'still here' });
  });
});
