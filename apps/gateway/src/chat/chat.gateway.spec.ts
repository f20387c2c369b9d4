import { describe, expect, it } from 'vitest';
import type { AppConfig } from '@doppel/config';
import { ChatGateway } from './chat.gateway';
import type { TurnAdmission } from './turn-admission.service';
import type { ChatSocket, TurnRelayService } from './turn-relay.service';

/** Records what the gateway asks of the relay, in order; the test adds 'ack' where the ack resolved. */
function recordingRelay(log: string[]) {
  return {
    stopForwarding: (_socket: ChatSocket, turnId: string) => log.push(`stop ${turnId}`),
    forward: (_socket: ChatSocket, turnId: string) => log.push(`forward ${turnId}`),
  };
}

describe('ChatGateway turn:send', () => {
  it('stops the socket relaying a resent turn before its ack goes out, and starts the new relay after it', async () => {
    const log: string[] = [];
    const admission = { accept: async () => ({ turnId: 't1', conversationId: 'c1', duplicate: true, verification: 'signed' }) };
    const config = { redis: { prefix: 'test' } } as AppConfig;
    const gateway = new ChatGateway(
      null as never,
      admission as unknown as TurnAdmission,
      recordingRelay(log) as unknown as TurnRelayService,
      null as never,
      null as never,
      null as never,
      config,
    );
    const socket = { id: 's1', data: { accountId: 'a1' }, emit: (event: string) => log.push(`emit ${event}`) } as unknown as ChatSocket;

    const ack = await gateway.onTurnSend(socket, { conversationId: '00000000-0000-4000-8000-000000000001', text: 'again', clientTurnId: 'k1' });
    log.push('ack');
    await new Promise((resolve) => setImmediate(resolve));

    expect(ack).toMatchObject({ ok: true, turnId: 't1', duplicate: true });
    expect(log).toEqual(['stop t1', 'ack', 'emit turn:queued', 'forward t1']);
  });
});
