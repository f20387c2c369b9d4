// Forwards a turn's Redis Stream entries to the socket that sent the turn.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Socket } from 'socket.io';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { ChatClientToServerEvents, ChatServerToClientEvents, ChatSocketData } from '@doppel/protocol';
import { createRedis, REDIS } from '@doppel/redis';
import { TurnStreamReader, type TurnStreamEvent } from '@doppel/streaming';

export type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents, Record<string, never>, ChatSocketData>;

@Injectable()
export class TurnRelayService implements OnApplicationShutdown {
  private readonly blockingRedis: Redis;
  private readonly reader: TurnStreamReader;
  private readonly followsBySocket = new Map<string, Map<string, () => void>>();

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    this.blockingRedis = createRedis(config.redis.url, { blocking: true, name: 'doppel-turn-reader' });
    this.reader = new TurnStreamReader(this.blockingRedis, redis, config.redis.prefix);
  }

  forward(socket: ChatSocket, turnId: string): void {
    let follows = this.followsBySocket.get(socket.id);
    if (!follows) this.followsBySocket.set(socket.id, (follows = new Map()));
    follows.get(turnId)?.();
    const stop = this.reader.follow(turnId, (event) => {
      this.emit(socket, turnId, event);
      if (event.type === 'done' || event.type === 'error') follows.delete(turnId);
    });
    follows.set(turnId, stop);
  }

  dropSocket(socketId: string): void {
    for (const stop of this.followsBySocket.get(socketId)?.values() ?? []) stop();
    this.followsBySocket.delete(socketId);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reader.close();
    this.blockingRedis.disconnect();
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
