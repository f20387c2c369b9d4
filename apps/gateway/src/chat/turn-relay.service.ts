// Forwards a turn's Redis Stream entries to the socket that sent the turn.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Socket } from 'socket.io';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { ChatClientToServerEvents, ChatServerToClientEvents, ChatSocketData } from '@doppel/protocol';
import { createRedis, isCluster, REDIS } from '@doppel/redis';
import { replyStartedOver, TurnStreamGapRepair, TurnStreamReader, turnStreamKey, type ResumePoint, type TurnStreamEvent } from '@doppel/streaming';
import { TurnLookup } from '@doppel/turns';
import { TurnAdmission } from './turn-admission.service';

type StoredFinalEvent = Awaited<ReturnType<TurnLookup['finalEvent']>>;

/** A follow that has not ended, and when its stream last had an entry for it (see endSilentFollows). */
interface LiveFollow {
  turnId: string;
  lastEntryAt: number;
  /** Ends the follow with the stored final event, as if the stream had carried it. */
  endWith: (event: TurnStreamEvent) => void;
}

/** Turns looked up in one query when their streams fall silent. */
const SILENT_LOOKUP_BATCH = 500;

export type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents, Record<string, never>, ChatSocketData>;

@Injectable()
export class TurnRelayService implements OnApplicationShutdown {
  private readonly logger = new Logger(TurnRelayService.name);
  private readonly reader: TurnStreamReader;
  /** Holes found in turn streams since this gateway started (entries lost in a Redis failover), each repaired. */
  streamGaps = 0;
  /** Follows ended from PostgreSQL since this gateway started: the turn was finished, its stream never said so. */
  endedFromStore = 0;
  private readonly followsBySocket = new Map<string, Map<string, () => void>>();
  private readonly liveFollows = new Set<LiveFollow>();
  private readonly silenceCheckMs: number;
  /** How often silent follows are looked for: twice per silence bound, so one is found at most 1.5 bounds in. */
  private readonly silenceCheckEveryMs: number;
  private readonly silenceTimer: NodeJS.Timeout;
  private checkingSilence = false;

  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly commandRedis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly admission: TurnAdmission,
    private readonly turns: TurnLookup,
  ) {
    this.prefix = config.redis.prefix;
    this.reader = new TurnStreamReader({
      prefix: config.redis.prefix,
      commandRedis,
      openBlocking: (name) => createRedis(config.redis, { blocking: true, name }),
      cluster: isCluster(commandRedis),
    });
    this.silenceCheckMs = config.turns.streamSilenceCheckMs;
    this.silenceCheckEveryMs = Math.max(100, this.silenceCheckMs / 2);
    this.silenceTimer = setInterval(() => void this.endSilentFollows(), this.silenceCheckEveryMs);
    this.silenceTimer.unref();
  }

  /**
   * Relays the turn's stream from its start. With `resume`, chunks the client already has (seq <= afterSeq in
   * the attempt it was on) are skipped; a later attempt is announced with turn:restarted and sent whole.
   */
  forward(socket: ChatSocket, turnId: string, resume?: ResumePoint): void {
    this.stopForwarding(socket, turnId);
    let follows = this.followsBySocket.get(socket.id);
    if (!follows) this.followsBySocket.set(socket.id, (follows = new Map()));
    let attempt = 1;
    const stop = this.follow(turnId, (event) => {
      if (event.type === 'started') {
        attempt = event.attempt;
        if (resume && attempt <= resume.attempt) return;
      } else if (event.type === 'token' && resume && attempt === resume.attempt && event.seq <= resume.afterSeq) {
        return;
      }
      this.emit(socket, turnId, event);
      if (event.type === 'done' || event.type === 'error') follows.delete(turnId);
    }, resume);
    follows.set(turnId, stop);
  }

  /**
   * Ends this socket's relay of the turn, if it has one. A client that sends a turn again (its ack timed out) reads the
   * stream from the new ack on: the old relay must stop before that ack goes out, or a chunk it relays after the ack
   * and before the new relay starts reads to the client as a hole at the start of the turn.
   */
  stopForwarding(socket: ChatSocket, turnId: string): void {
    const follows = this.followsBySocket.get(socket.id);
    follows?.get(turnId)?.();
    follows?.delete(turnId);
  }

  /**
   * Every entry of the turn's stream from its start, for any transport (a socket, an HTTP response). Keeps
   * admission control's count: the turn leaves it when it ends or when the returned stop is called (the follower
   * went away; the turn itself goes on and is stored). A hole in the stream (see TurnStreamGapRepair) is logged,
   * counted and repaired from the done event's text, so the follower never sees one. `resume`: where a resuming
   * client already is, so a hole in what it holds is repaired by starting the reply over. A stream that stays silent
   * while the turn is finished in PostgreSQL (its terminal entry lost) is ended from there (see endSilentFollows).
   */
  follow(turnId: string, onEvent: (event: TurnStreamEvent) => void, resume?: ResumePoint): () => void {
    let following = true;
    const repair = new TurnStreamGapRepair((gap) => {
      this.streamGaps++;
      const seen = gap.seenSeq < 0 ? 'the done event' : `seq ${gap.seenSeq}`;
      this.logger.warn(`turn ${turnId}: stream gap in attempt ${gap.attempt} (expected seq ${gap.expectedSeq}, read ${seen}); chunks held back, the rest is sent from the done text`);
    }, resume);
    const live: LiveFollow = { turnId, lastEntryAt: Date.now(), endWith: () => undefined };
    const relay = (entry: TurnStreamEvent) => {
      if (!following) return;
      live.lastEntryAt = Date.now();
      if (entry.type === 'token' || entry.type === 'done') this.admission.control.firstOutput(turnId);
      if (entry.type === 'done' || entry.type === 'error') {
        following = false;
        this.liveFollows.delete(live);
        this.admission.control.finished(turnId);
      }
      for (const event of repair.accept(entry)) onEvent(event);
    };
    const stopReading = this.reader.follow(turnId, relay);
    live.endWith = (event) => {
      stopReading();
      relay(event);
    };
    this.liveFollows.add(live);
    return () => {
      stopReading();
      this.liveFollows.delete(live);
      if (following) this.admission.control.finished(turnId);
      following = false;
    };
  }

  /**
   * Follows whose stream has had no entry for TURN_STREAM_SILENCE_CHECK_MS: their turns are looked up (one query per
   * batch) and those finished are ended with the stored final event. A stream says nothing for that long while its
   * turn waits in the queue or its model is slow, and that is fine; a finished turn whose stream is silent lost its
   * terminal entry (a Redis primary that died before replicating it), and its follower would otherwise wait for ever.
   */
  private async endSilentFollows(): Promise<void> {
    if (this.checkingSilence || this.liveFollows.size === 0) return;
    this.checkingSilence = true;
    try {
      const silentSince = Date.now() - this.silenceCheckMs;
      const silent = [...this.liveFollows].filter((live) => live.lastEntryAt <= silentSince);
      const turnIds = [...new Set(silent.map((live) => live.turnId))];
      for (let start = 0; start < turnIds.length; start += SILENT_LOOKUP_BATCH) {
        for (const turnId of await this.turns.finishedAmong(turnIds.slice(start, start + SILENT_LOOKUP_BATCH))) {
          const event = storedStreamEvent(await this.turns.finalEvent(turnId));
          for (const live of silent) {
            if (live.turnId !== turnId || !this.liveFollows.has(live)) continue;
            this.endedFromStore++;
            this.logger.warn(`turn ${turnId}: finished in PostgreSQL, its stream silent for ${Date.now() - live.lastEntryAt} ms; its ${event.type} is sent from PostgreSQL`);
            live.endWith(event);
          }
        }
      }
    } catch (error) {
      this.logger.warn(`could not check silent turn streams against PostgreSQL (checked again in ${this.silenceCheckEveryMs} ms): ${(error as Error).message}`);
    } finally {
      this.checkingSilence = false;
    }
  }

  /**
   * A finished turn whose stream is gone (expired, or lost whole in a Redis failover): its stored final event. A client
   * holding chunks (`resume.afterSeq` >= 0) gets the reply over again, whole: nothing says which part of it those were.
   */
  sendStored(socket: ChatSocket, turnId: string, final: StoredFinalEvent, resume: ResumePoint): void {
    const event = storedStreamEvent(final);
    if (event.type === 'error') return this.emit(socket, turnId, event);
    for (const sent of resume.afterSeq >= 0 ? replyStartedOver(resume.attempt + 1, event) : [event]) this.emit(socket, turnId, sent);
  }

  /** Whether the turn's stream still exists in Redis (it expires TURN_STREAM_TTL_SECONDS after the last entry). */
  async streamExists(turnId: string): Promise<boolean> {
    return (await this.commandRedis.exists(turnStreamKey(this.prefix, turnId))) === 1;
  }

  /** Blocked reads that never answered, whose connection was replaced (see TurnStreamReader). */
  get readerStalls(): number {
    return this.reader.stalls;
  }

  dropSocket(socketId: string): void {
    for (const stop of this.followsBySocket.get(socketId)?.values() ?? []) stop();
    this.followsBySocket.delete(socketId);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.silenceTimer);
    await this.reader.close();
  }

  private emit(socket: ChatSocket, turnId: string, event: TurnStreamEvent): void {
    switch (event.type) {
      case 'started':
        if (event.attempt > 1) socket.emit('turn:restarted', { turnId, attempt: event.attempt });
        return;
      case 'token':
        socket.emit('turn:token', { turnId, seq: event.seq, text: event.text });
        return;
      case 'done': {
        const { type: _type, ...done } = event;
        socket.emit('turn:done', { turnId, ...done });
        return;
      }
      case 'error':
        socket.emit('turn:error', { turnId, code: event.code, message: event.message });
        return;
    }
  }
}

/** A stored final event as the stream entry that would have carried it. */
function storedStreamEvent(final: StoredFinalEvent): Extract<TurnStreamEvent, { type: 'done' | 'error' }> {
  if (final.type === 'error') return { type: 'error', code: final.event.code, message: final.event.message };
  const { turnId: _turnId, ...stored } = final.event;
  return { type: 'done', ...stored };
}
