import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SLICES, SocketLiveness, type LiveSocket } from './socket-liveness';

describe('SocketLiveness', () => {
  let liveness: SocketLiveness | null = null;
  afterEach(() => liveness?.close());

  it('refreshes every socket once per round of slices, a slice at a time, never all at once', () => {
    const sockets: LiveSocket[] = Array.from({ length: 2000 }, (_, index) => ({ id: randomBytes(15).toString('base64url'), accountId: `account-${index}` }));
    sockets.push({ id: 'not-authenticated-yet', accountId: undefined });
    const refreshed = new Map<string, number>();
    const perTick: number[] = [];
    liveness = new SocketLiveness(60_000, () => sockets, async (_accountId, socketId) => {
      refreshed.set(socketId, (refreshed.get(socketId) ?? 0) + 1);
    });
    for (let tick = 0; tick < SLICES; tick++) {
      const before = refreshed.size;
      liveness.refreshSlice();
      perTick.push(refreshed.size - before);
    }
    expect(refreshed.size).toBe(2000);
    expect([...refreshed.values()].every((count) => count === 1)).toBe(true);
    expect(refreshed.has('not-authenticated-yet')).toBe(false);
    // 100 a slice on average; hashing random ids spreads them, so no slice holds more than a few times that.
    expect(Math.max(...perTick)).toBeLessThan(300);
  });
});
