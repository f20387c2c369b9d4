import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { KeySockets } from './key-sockets';

describe('KeySockets', () => {
  const sockets = new KeySockets();
  const httpServer = createServer();
  const server = new Server(httpServer);
  let url: string;
  let releaseSlow: (() => void) | null = null;

  beforeAll(async () => {
    server.use((socket, next) => {
      const { accountId, keyPrefix } = socket.handshake.auth as { accountId: string; keyPrefix: string };
      sockets.watch(socket, accountId, keyPrefix);
      next();
    });
    server.on('connection', (socket) => {
      socket.on('fast', (ack: (answer: unknown) => void) => ack({ ok: true }));
      socket.on('slow', (ack: (answer: unknown) => void) => {
        releaseSlow = () => ack({ ok: true });
      });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  const open = (accountId: string, keyPrefix: string) =>
    new Promise<ClientSocket>((resolve, reject) => {
      const client = connect(url, { auth: { accountId, keyPrefix }, transports: ['websocket'], reconnection: false, forceNew: true });
      client.once('connect', () => resolve(client));
      client.once('connect_error', reject);
    });
  const disconnected = (client: ClientSocket) => new Promise<string>((resolve) => client.once('disconnect', resolve));
  const ask = (client: ClientSocket, event: string) => new Promise<unknown>((resolve) => client.emit(event, resolve));

  it("closes the revoked key's sockets only, and lists the keys with open sockets", async () => {
    const old = await open('alice', 'oldkey0001');
    const fresh = await open('alice', 'newkey0001');
    const otherAccount = await open('mallory', 'oldkey0001');
    expect(sockets.keyPrefixes().sort()).toEqual(['newkey0001', 'oldkey0001']);
    const closed = disconnected(old);
    expect(sockets.revoke('oldkey0001', 'alice')).toBe(1);
    expect(await closed).toBe('io server disconnect');
    expect(await ask(fresh, 'fast')).toEqual({ ok: true });
    expect(await ask(otherAccount, 'fast')).toEqual({ ok: true });
    fresh.close();
    otherAccount.close();
  });

  it('answers events running or arriving after the key was revoked with UNAUTHENTICATED, then closes the socket', async () => {
    const client = await open('bob', 'bobkey0001');
    const slowAnswer = ask(client, 'slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = disconnected(client);
    sockets.revoke('bobkey0001');
    // Still open, as an answer is owed; anything sent meanwhile is refused without running.
    expect(client.connected).toBe(true);
    expect(await ask(client, 'fast')).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } });
    releaseSlow!();
    expect(await slowAnswer).toMatchObject({ ok: false, error: { code: ErrorCode.Unauthenticated } });
    expect(await closed).toBe('io server disconnect');
  });
});
