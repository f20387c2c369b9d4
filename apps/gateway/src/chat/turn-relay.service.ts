// Forwards a turn's Redis Stream entries to the socket that sent the turn.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Socket } from 'socket.io';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { ChatClientToServerEvents, ChatServerToClientEvents, ChatSocketData } from '@doppel/protocol';
import { createRedis, isCluster, REDIS } from '@doppel/redis';
import { replyStartedOver, TurnStreamGapRepair, TurnStreamReader, turnStreamKey, type ResumePoint, type TurnStreamEvent } from '@doppel/streaming';
import type { TurnLookup } from '@doppel/turns';
import { TurnAdmission } from './turn-admission.service';

type StoredFinalEvent = Awaited<ReturnType<TurnLookup['finalEvent']>>;

export type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents, Record<string, never>, ChatSocketData>;

@Injectable()
export class TurnRelayService implements OnApplicationShutdown {
  private readonly logger = new Logger(TurnRelayService.name);
  private readonly reader: TurnStreamReader;
  /** Holes found in turn streams since this gateway started (entries lost in a Redis failover), each repaired. */
  streamGaps = 0;
  private readonly followsBySocket = new Map<string, Map<string, () => void>>();

  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly commandRedis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly admission: TurnAdmission,
  ) {
    this.prefix = config.redis.prefix;
    this.reader = new TurnStreamReader({
      prefix: config.redis.prefix,
      commandRedis,
      openBlocking: (name) => createRedis(config.redis, { blocking: true, name }),
      cluster: isCluster(commandRedis),
    });
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
   * client already is, so a hole in what it holds is repaired by starting the reply over.
   */
  follow(turnId: string, onEvent: (event: TurnStreamEvent) => void, resume?: ResumePoint): () => void {
    let following = true;
    const repair = new TurnStreamGapRepair((gap) => {
      this.streamGaps++;
      const seen = gap.seenSeq < 0 ? 'the done event' : `seq ${gap.seenSeq}`;
      this.logger.warn(`turn ${turnId}: stream gap in attempt ${gap.attempt} (expected seq ${gap.expectedSeq}, read ${seen}); chunks held back, the rest is sent from the done text`);
    }, resume);
    const stopReading = this.reader.follow(turnId, (entry) => {
      if (entry.type === 'token' || entry.type === 'done') this.admission.control.firstOutput(turnId);
      if (entry.type === 'done' || entry.type === 'error') {
        following = false;
        this.admission.control.finished(turnId);
      }
      for (const event of repair.accept(entry)) onEvent(event);
    });
    return () => {
      stopReading();
      if (following) this.admission.control.finished(turnId);
      following = false;
    };
  }

  /**
   * A finished turn whose stream is gone (expired, or lost whole in a Redis failover): its stored final event. A client
   * holding chunks (`resume.afterSeq` >= 0) gets the reply over again, whole: nothing says which part of it those were.
   */
  sendStored(socket: ChatSocket, turnId: string, final: StoredFinalEvent, resume: ResumePoint): void {
    if (final.type === 'error') return this.emit(socket, turnId, { type: 'error', code: final.event.code, message: final.event.message });
    const { turnId: _turnId, ...stored } = final.event;
    const done = { type: 'done' as const, ...stored };
    for (const event of resume.afterSeq >= 0 ? replyStartedOver(resume.attempt + 1, done) : [done]) this.emit(socket, turnId, event);
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
