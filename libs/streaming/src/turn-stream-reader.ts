// Gateway side of the token relay. On one Redis, one blocking connection reads every turn this gateway follows with
// a single XREAD over many streams; following a new turn interrupts the block (CLIENT UNBLOCK) so it is read soon.
// "Soon" is within JOIN_WITHIN_MS, not at once: under load the block ends by itself every few ms (nodes flush their
// chunks every 30), so the turns that start in between join the next read for free instead of costing an interrupt
// and an extra XREAD of every followed stream each; a new turn's first chunk comes after its model's first token,
// which takes longer than that.
// On Redis Cluster a command's keys must share a slot, so streams are read per stream group (the hash tag in their
// key, see @doppel/redis): one blocking connection and XREAD per group in use, interrupted by an entry in the
// gateway's own wake-up stream of that group (a CLIENT UNBLOCK would have to find the node the read waits on).
// Several followers of one turn (the same consumer in two tabs, a resume beside a live follower) each get every
// entry after their own position: the stream is read from the earliest of them.
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { turnStreamGroup, turnStreamWakeKey } from '@doppel/redis';
import { EVENT_FIELD, isTerminal, turnStreamKey, type TurnStreamEvent } from './turn-stream-events';

type XreadReply = [string, [string, string[]][]][] | null;

interface Follower {
  lastId: string;
  onEvent: (event: TurnStreamEvent) => void;
}

const BLOCK_MS = 5000;
/**
 * A blocked XREAD answers within BLOCK_MS. One that has not answered this much later is on a connection that died
 * without closing (a Redis host gone without a reset, a half-open TCP connection, a cluster client stuck on a node a
 * failover removed): the connection is dropped and opened again, else every turn read on it would wait for ever.
 */
const STALL_GRACE_MS = 5000;
const READ_COUNT = 256;
/**
 * After a read that returned entries, wait this long before the next: nodes flush their turns' chunks together on
 * one clock, so a short pause lets one XREAD carry a whole burst instead of one read per entry, at the cost of a few
 * ms on some chunks. A new follower joins the read after the pause (see JOIN_WITHIN_MS).
 */
const GATHER_MS = 4;
/** A new follower is in a read within this long (see the header). */
export const JOIN_WITHIN_MS = 25;
/** Wake-up streams of a gateway that went away expire. */
const WAKE_TTL_SECONDS = 3600;

export interface TurnStreamReaderOptions {
  prefix: string;
  /** Commands that interrupt a blocked read (CLIENT UNBLOCK, or XADD to a wake-up stream). */
  commandRedis: Redis;
  /** Opens a blocking connection: once on one Redis, once per stream group in use on a cluster. */
  openBlocking: (name: string) => Redis;
  cluster: boolean;
  /** How long a blocked read waits for entries, and how long past that it may take before its connection is replaced. */
  blockMs?: number;
  stallGraceMs?: number;
}

export class TurnStreamReader {
  private readonly groups = new Map<number, StreamGroupReader>();
  private readonly readerId = randomUUID();
  private closed = false;

  constructor(private readonly options: TurnStreamReaderOptions) {}

  /**
   * Calls onEvent for each entry of the turn's stream after `fromId` ('0' = from the start), in order, until a
   * terminal event or until the returned function is called.
   */
  follow(turnId: string, onEvent: (event: TurnStreamEvent) => void, fromId = '0'): () => void {
    if (this.closed) return () => undefined;
    const group = this.options.cluster ? turnStreamGroup(turnId) : 0;
    let reader = this.groups.get(group);
    if (!reader) this.groups.set(group, (reader = this.openGroup(group)));
    return reader.follow(turnStreamKey(this.options.prefix, turnId), onEvent, fromId);
  }

  /** Turns followed (streams read), not followers. */
  get followedCount(): number {
    let count = 0;
    for (const reader of this.groups.values()) count += reader.followedCount;
    return count;
  }

  /** Blocked reads ended early so that new followers are read (CLIENT UNBLOCK or a wake-up entry sent). */
  get interrupts(): number {
    let count = 0;
    for (const reader of this.groups.values()) count += reader.interrupts;
    return count;
  }

  /** Blocked reads that never answered, whose connection was dropped and opened again. */
  get stalls(): number {
    let count = 0;
    for (const reader of this.groups.values()) count += reader.stalls;
    return count;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.groups.values()].map((reader) => reader.close()));
    this.groups.clear();
  }

  private openGroup(group: number): StreamGroupReader {
    const { prefix, commandRedis, openBlocking, cluster } = this.options;
    const timing = { blockMs: this.options.blockMs ?? BLOCK_MS, stallGraceMs: this.options.stallGraceMs ?? STALL_GRACE_MS };
    if (!cluster) return new StreamGroupReader(() => openBlocking('doppel-turn-reader'), new UnblockInterrupter(commandRedis), timing);
    const wakeKey = turnStreamWakeKey(prefix, group, this.readerId);
    return new StreamGroupReader(() => openBlocking(`doppel-turn-reader-${group}`), new WakeStreamInterrupter(commandRedis, wakeKey), timing);
  }
}

/** How a blocked XREAD is ended early, so a newly followed stream is read at once. */
interface Interrupter {
  /** A stream read with the others (its entries end the block), or null. */
  readonly wakeKey: string | null;
  attach(blockingRedis: Redis): void;
  /** Before each XREAD. */
  beforeRead(blockingRedis: Redis): Promise<void>;
  /** Ends the read now blocked, if any; whether it sent a command for it. */
  interrupt(): boolean;
  /** After each XREAD, whatever its outcome. */
  afterRead(): void;
}

/** One Redis: CLIENT UNBLOCK from the command connection, aimed at the blocking connection's client id. */
class UnblockInterrupter implements Interrupter {
  readonly wakeKey = null;
  private myClientId: number | null = null;
  /** Counts XREAD calls; an interrupt aimed at one read must not hit the next. */
  private readGeneration = 0;
  private blocking = false;

  constructor(private readonly commandRedis: Redis) {}

  attach(blockingRedis: Redis): void {
    // A new connection, or a reconnect of this one, has a new client id.
    this.myClientId = null;
    blockingRedis.on('ready', () => (this.myClientId = null));
  }

  async beforeRead(blockingRedis: Redis): Promise<void> {
    this.myClientId ??= Number(await blockingRedis.client('ID'));
    this.readGeneration++;
    this.blocking = true;
  }

  afterRead(): void {
    this.blocking = false;
  }

  interrupt(): boolean {
    if (!this.blocking || this.myClientId === null) return false;
    void this.unblock(this.myClientId, this.readGeneration, 0);
    return true;
  }

  /** The UNBLOCK can overtake the XREAD it aims at (two connections); retry briefly until it lands. */
  private async unblock(clientId: number, generation: number, tries: number): Promise<void> {
    const unblocked = await this.commandRedis.client('UNBLOCK', clientId).catch(() => 0);
    if (unblocked === 0 && tries < 20 && this.blocking && this.readGeneration === generation) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await this.unblock(clientId, generation, tries + 1);
    }
  }
}

/**
 * Redis Cluster: an entry in this reader's wake-up stream, which is in the group's slot and read with its streams.
 * The XREAD asks for wake entries after the last one it saw, so a wake-up written before the read arrives still
 * ends it: no race between the two connections.
 */
class WakeStreamInterrupter implements Interrupter {
  private blocking = false;

  constructor(
    private readonly commandRedis: Redis,
    readonly wakeKey: string,
  ) {}

  attach(): void {}

  async beforeRead(): Promise<void> {
    this.blocking = true;
  }

  afterRead(): void {
    this.blocking = false;
  }

  interrupt(): boolean {
    if (!this.blocking) return false;
    void this.commandRedis.xadd(this.wakeKey, 'MAXLEN', '1', '*', 'w', '1').catch(() => undefined);
    void this.commandRedis.expire(this.wakeKey, WAKE_TTL_SECONDS).catch(() => undefined);
    return true;
  }
}

/** Reads the followed streams of one group (all of them on one Redis) with one blocking connection. */
class StreamGroupReader {
  private readonly logger = new Logger(TurnStreamReader.name);
  private readonly followers = new Map<string, Set<Follower>>();
  /** The last wake-up entry read ('0' at first: an old one costs one extra read, a missed one a whole block). */
  private wakeLastId = '0';
  private running = false;
  private closed = false;
  private wakeUp: (() => void) | null = null;
  /** Followers that came since the current read started: the next read must come within JOIN_WITHIN_MS. */
  private joinedSinceRead = false;
  private joinTimer: NodeJS.Timeout | null = null;
  /** Waiting for a first follower (nothing to read). */
  private idle = false;
  interrupts = 0;
  /** Reads that never answered, whose connection was replaced. */
  stalls = 0;
  private blockingRedis: Redis;

  constructor(
    private readonly openBlocking: () => Redis,
    private readonly interrupter: Interrupter,
    private readonly timing: { blockMs: number; stallGraceMs: number },
  ) {
    this.blockingRedis = openBlocking();
    interrupter.attach(this.blockingRedis);
  }

  follow(key: string, onEvent: (event: TurnStreamEvent) => void, fromId: string): () => void {
    const follower: Follower = { lastId: fromId, onEvent };
    let followers = this.followers.get(key);
    if (!followers) this.followers.set(key, (followers = new Set()));
    followers.add(follower);
    this.joinedSinceRead = true;
    if (!this.running) this.ensureLoop();
    else if (this.idle) this.wakeUp?.();
    else this.joinSoon();
    return () => this.unfollow(key, follower);
  }

  /** Unless a read starts by itself within JOIN_WITHIN_MS (it then covers the new followers), interrupt the block. */
  private joinSoon(): void {
    if (this.joinTimer) return;
    this.joinTimer = setTimeout(() => {
      this.joinTimer = null;
      if (this.closed || !this.joinedSinceRead) return;
      this.interruptBlock();
      // Between two reads there is no block to end; the next read covers the new followers (and clears the flag).
      // Checked again later, so a read that started without them cannot keep them waiting a whole block.
      this.joinSoon();
    }, JOIN_WITHIN_MS);
  }

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
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.interruptBlock();
    this.blockingRedis.disconnect();
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
    if (this.interrupter.interrupt()) this.interrupts++;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      // What is followed now is in the read below (or, with nothing followed, there is nothing to join).
      this.joinedSinceRead = false;
      if (this.followers.size === 0) {
        this.idle = true;
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.idle = false;
        this.wakeUp = null;
        continue;
      }
      const readFrom = new Map<string, string>();
      for (const [key, followers] of this.followers) readFrom.set(key, earliestId(followers));
      const keys = [...readFrom.keys()];
      const ids = [...readFrom.values()];
      const wakeKey = this.interrupter.wakeKey;
      if (wakeKey) {
        keys.push(wakeKey);
        ids.push(this.wakeLastId);
      }
      let reply: XreadReply | 'stalled';
      try {
        reply = await this.readWithin(keys, ids);
      } catch (error) {
        if (this.closed) break;
        this.logger.warn(`XREAD failed, retrying in 500 ms: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      } finally {
        this.interrupter.afterRead();
      }
      if (reply === 'stalled') {
        if (this.closed) break;
        this.reconnect();
        continue;
      }
      for (const [key, entries] of reply ?? []) {
        if (key === wakeKey) this.wakeLastId = entries[entries.length - 1]?.[0] ?? this.wakeLastId;
        else this.deliver(key, entries, readFrom.get(key) ?? '0');
      }
      if (reply && !this.closed) await this.pause(GATHER_MS);
    }
  }

  /**
   * The XREAD's answer, or 'stalled' when it has none long after its block should have ended (see STALL_GRACE_MS).
   * What the interrupter sends first (CLIENT ID on a new connection) is under the same limit.
   */
  private async readWithin(keys: string[], ids: string[]): Promise<XreadReply | 'stalled'> {
    const connection = this.blockingRedis;
    const reading = this.interrupter
      .beforeRead(connection)
      .then(() => connection.xread('COUNT', READ_COUNT, 'BLOCK', this.timing.blockMs, 'STREAMS', ...keys, ...ids) as Promise<XreadReply>);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), this.timing.blockMs + this.timing.stallGraceMs)));
    try {
      const outcome = await Promise.race([reading, stalled]);
      // The dropped connection fails the read later; nobody waits for it.
      if (outcome === 'stalled') reading.catch(() => undefined);
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  private reconnect(): void {
    this.logger.warn(`XREAD gave no answer ${this.timing.stallGraceMs} ms after its ${this.timing.blockMs}-ms block: its connection is presumed dead and opened again`);
    this.stalls++;
    this.blockingRedis.disconnect();
    this.blockingRedis = this.openBlocking();
    this.interrupter.attach(this.blockingRedis);
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

  /** `readFrom`: the id this read started after. */
  private deliver(key: string, entries: [string, string[]][], readFrom: string): void {
    for (const [id, fields] of entries) {
      const followers = this.followers.get(key);
      if (!followers) return;
      const raw = fields[fields.indexOf(EVENT_FIELD) + 1];
      const event = raw === undefined ? null : (JSON.parse(raw) as TurnStreamEvent);
      for (const follower of followers) {
        // A follower that came while the read was in flight, from an earlier position, would miss the entries between
        // its position and the read's: it gets them from the next read, which starts at its position.
        if (compareIds(follower.lastId, readFrom) < 0) continue;
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
