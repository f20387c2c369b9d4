// The gateway's stream reader on the real Redis: one blocking XREAD for every followed turn. A turn followed while the
// read is blocked joins within JOIN_WITHIN_MS, and the turns that start together cost one interrupt, not one each.
// A read that never answers (a connection dead without a reset) is given up and its connection opened again.
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RedisConfig } from '@doppel/config';
import { createRedis } from '@doppel/redis';
import { JOIN_WITHIN_MS, TurnStreamPublisher, TurnStreamReader, type TurnStreamEvent } from '@doppel/streaming';

describe('the turn stream reader', () => {
  const config: RedisConfig = { url: inject('redisUrl'), prefix: `${inject('redisPrefix')}reader`, clusterNodes: null };
  const commands = createRedis(config, { name: 'reader-spec-commands' });
  const reader = new TurnStreamReader({
    prefix: config.prefix,
    commandRedis: commands,
    openBlocking: (name) => createRedis(config, { blocking: true, name }),
    cluster: false,
  });
  afterAll(async () => {
    await reader.close();
    commands.disconnect();
  });

  const started: TurnStreamEvent = { type: 'started', workerId: 'node-1', attempt: 1 };
  const publishStarted = async (turnId: string) => {
    const publisher = new TurnStreamPublisher(commands, config.prefix, turnId, 600, 0);
    publisher.started('node-1', 1);
    await publisher.drain();
  };
  const firstEvent = (turnId: string) => new Promise<TurnStreamEvent>((resolve) => reader.follow(turnId, resolve));

  it('reads turns followed while it is blocked within the join window, with one interrupt for all of them', async () => {
    // A quiet turn keeps the reader blocked.
    reader.follow(randomUUID(), () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = reader.interrupts;

    const turnIds = Array.from({ length: 10 }, () => randomUUID());
    const events = turnIds.map((turnId) => firstEvent(turnId));
    const startedAt = performance.now();
    for (const turnId of turnIds) await publishStarted(turnId);
    const received = await Promise.all(events);
    const elapsedMs = performance.now() - startedAt;

    expect(received).toEqual(turnIds.map(() => started));
    // Read within the join window (plus the round trips), not after the 5-s block.
    expect(elapsedMs).toBeLessThan(JOIN_WITHIN_MS + 1000);
    expect(reader.interrupts - before).toBe(1);
  });

  /** A TCP relay to Redis that can stop passing bytes without closing anything, as a dead link or host does. */
  async function freezableRelay(): Promise<{ url: string; freeze: () => void; close: () => void }> {
    const target = new URL(config.url);
    let frozen = false;
    const sockets: Socket[] = [];
    const server: Server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      sockets.push(client, upstream);
      client.on('data', (data) => frozen || upstream.write(data));
      upstream.on('data', (data) => frozen || client.write(data));
      for (const socket of [client, upstream]) socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `redis://127.0.0.1:${port}`,
      freeze: () => (frozen = true),
      close: () => {
        for (const socket of sockets) socket.destroy();
        server.close();
      },
    };
  }

  /** A reader with short blocks whose first blocking connection goes through the relay, the ones after it straight to Redis. */
  function readerFirstThrough(relay: { url: string }) {
    let opened = 0;
    const reader = new TurnStreamReader({
      prefix: config.prefix,
      commandRedis: commands,
      openBlocking: (name) => createRedis(++opened === 1 ? { ...config, url: relay.url } : config, { blocking: true, name }),
      cluster: false,
      blockMs: 200,
      stallGraceMs: 300,
    });
    return { reader, opened: () => opened };
  }

  it('replaces a blocking connection whose read never answers, and reads on with a new one', async () => {
    const relay = await freezableRelay();
    const { reader: stallingReader, opened } = readerFirstThrough(relay);
    try {
      const turnId = randomUUID();
      const received = new Promise<TurnStreamEvent>((resolve) => stallingReader.follow(turnId, resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      relay.freeze();
      await publishStarted(turnId);
      expect(await received).toEqual(started);
      expect({ stalls: stallingReader.stalls, opened: opened() }).toEqual({ stalls: 1, opened: 2 });
    } finally {
      await stallingReader.close();
      relay.close();
    }
  });

  it('replaces a blocking connection that is dead from the start (its first command never answered either)', async () => {
    const relay = await freezableRelay();
    relay.freeze();
    const { reader: stallingReader, opened } = readerFirstThrough(relay);
    try {
      const turnId = randomUUID();
      await publishStarted(turnId);
      expect(await new Promise<TurnStreamEvent>((resolve) => stallingReader.follow(turnId, resolve))).toEqual(started);
      expect({ stalls: stallingReader.stalls, opened: opened() }).toEqual({ stalls: 1, opened: 2 });
    } finally {
      await stallingReader.close();
      relay.close();
    }
  });

  it('reads a turn followed while nothing else is followed at once', async () => {
    const idleReader = new TurnStreamReader({
      prefix: config.prefix,
      commandRedis: commands,
      openBlocking: (name) => createRedis(config, { blocking: true, name }),
      cluster: false,
    });
    try {
      const turnId = randomUUID();
      await publishStarted(turnId);
      const received = await new Promise<TurnStreamEvent>((resolve) => idleReader.follow(turnId, resolve));
      expect(received).toEqual(started);
      expect(idleReader.interrupts).toBe(0);
    } finally {
      await idleReader.close();
    }
  });
});
