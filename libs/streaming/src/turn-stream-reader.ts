// Gateway side of the token relay. One blocking connection reads every turn this gateway follows with a single
// XREAD over many streams; following a new turn interrupts the block (CLIENT UNBLOCK) so it is read at once.
// Several followers of one turn (the same consumer in two tabs, a resume beside a live follower) each get every
// entry after their own position: the stream is read from the earliest of them.
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { EVENT_FIELD, isTerminal, turnStreamKey, type TurnStreamEvent } from './turn-stream-events';

interface Follower {
  lastId: string;
  onEvent: (event: TurnStreamEvent) => void;
}

const BLOCK_MS = 5000;
const READ_COUNT = 256;
/**
 * After a read that returned entries, wait this long before the next: nodes flush their turns' chunks together on
 * one clock, so a short pause lets one XREAD carry a whole burst instead of one read per entry, at the cost of a few
 * ms on some chunks. A new follower still interrupts the pause (its first entries are read at once).
 */
const GATHER_MS = 4;

export class TurnStreamReader {
  private readonly logger = new Logger(TurnStreamReader.name);
  private readonly followers = new Map<string, Set<Follower>>();
  private myClientId: number | null = null;
  /** Counts XREAD calls; an interrupt aimed at one read must not hit the next. */
  private readGeneration = 0;
  private blocking = false;
  private running = false;
  private closed = false;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly blockingRedis: Redis,
    private readonly commandRedis: Redis,
    private readonly prefix: string,
  ) {
    // A reconnect gives the blocking connection a new client id.
    this.blockingRedis.on('ready', () => (this.myClientId = null));
  }

  /**
   * Calls onEvent for each entry of the turn's stream after `fromId` ('0' = from the start), in order, until a
   * terminal event or until the returned function is called.
   */
  follow(turnId: string, onEvent: (event: TurnStreamEvent) => void, fromId = '0'): () => void {
    const key = turnStreamKey(this.prefix, turnId);
    const follower: Follower = { lastId: fromId, onEvent };
    let followers = this.followers.get(key);
    if (!followers) this.followers.set(key, (followers = new Set()));
    followers.add(follower);
    this.ensureLoop();
    this.interruptBlock();
    return () => this.unfollow(key, follower);
  }

  /** Turns followed (streams read), not followers. */
  get followedCount(): number {
    return this.followers.size;
  }

  private unfollow(key: string, follower: Follower): void {
    const followers = this.followers.get(key);
    if (!followers?.delete(follower)) return;
    if (followers.size === 0) this.followers.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.followers.clear();
    this.wakeUp?.();
    this.interruptBlock();
  }

  private ensureLoop(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  private interruptBlock(): void {
    this.wakeUp?.();
    if (this.blocking && this.myClientId !== null) void this.unblock(this.myClientId, this.readGeneration, 0);
  }

  /** The UNBLOCK can overtake the XREAD it aims at (two connections); retry briefly until it lands. */
  private async unblock(clientId: number, generation: number, tries: number): Promise<void> {
    const unblocked = await this.commandRedis.client('UNBLOCK', clientId).catch(() => 0);
    if (unblocked === 0 && tries < 20 && this.blocking && this.readGeneration === generation) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await this.unblock(clientId, generation, tries + 1);
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.followers.size === 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = null;
        continue;
      }
      const keys = [...this.followers.keys()];
      const ids = keys.map((key) => earliestId(this.followers.get(key)!));
      let reply: [string, [string, string[]][]][] | null;
      try {
        this.myClientId ??= Number(await this.blockingRedis.client('ID'));
        this.readGeneration++;
        this.blocking = true;
        reply = (await this.blockingRedis.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids)) as typeof reply;
      } catch (error) {
        if (this.closed) break;
        this.logger.warn(`XREAD failed, retrying in 500 ms: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      } finally {
        this.blocking = false;
      }
      for (const [key, entries] of reply ?? []) this.deliver(key, entries);
      if (reply && !this.closed) await this.pause(GATHER_MS);
    }
  }

  /** Waits `ms`, or less when a new follower arrives (interruptBlock wakes it). */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private deliver(key: string, entries: [string, string[]][]): void {
    for (const [id, fields] of entries) {
      const followers = this.followers.get(key);
      if (!followers) return;
      const raw = fields[fields.indexOf(EVENT_FIELD) + 1];
      const event = raw === undefined ? null : (JSON.parse(raw) as TurnStreamEvent);
      for (const follower of followers) {
        if (compareIds(id, follower.lastId) <= 0) continue;
        follower.lastId = id;
        if (!event) continue;
        try {
          follower.onEvent(event);
        } catch (error) {
          this.logger.error(`turn stream handler failed for ${key}: ${(error as Error).message}`);
        }
        if (isTerminal(event)) this.unfollow(key, follower);
      }
    }
  }
}

/** Orders Redis stream ids ("ms-seq"; "0" is the start). */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const aMs = Number(aDash < 0 ? a : a.slice(0, aDash));
  const bMs = Number(bDash < 0 ? b : b.slice(0, bDash));
  if (aMs !== bMs) return aMs - bMs;
  return (aDash < 0 ? 0 : Number(a.slice(aDash + 1))) - (bDash < 0 ? 0 : Number(b.slice(bDash + 1)));
}

function earliestId(followers: Set<Follower>): string {
  let earliest: string | null = null;
  for (const follower of followers) if (earliest === null || compareIds(follower.lastId, earliest) < 0) earliest = follower.lastId;
  return earliest ?? '0';
}
