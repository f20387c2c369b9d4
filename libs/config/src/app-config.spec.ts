import { describe, expect, it } from 'vitest';
import { ConfigValidationError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives defaults for an empty environment and freezes the result', () => {
    const config = loadConfig({});
    expect(config.gateway.port).toBe(3000);
    expect(config.models.chatModels).toEqual(['doppel-mini-chat-2', 'doppel-mini-chat', 'doppel-nano-chat', 'synthetic']);
    expect(config.models.defaultChatModel).toBe('doppel-mini-chat-2');
    expect(Object.isFrozen(config.turns)).toBe(true);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ GATEWAY_PORT: 'eighty', WORKER_CONCURRENCY: '0', DATABASE_URL: 'not a url' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems.join('\n');
    expect(problems).toContain('GATEWAY_PORT');
    expect(problems).toContain('WORKER_CONCURRENCY');
    expect(problems).toContain('DATABASE_URL');
  });

  it('takes a Redis URL over TCP, TLS or a Unix socket, and refuses any other scheme', () => {
    expect(loadConfig({ REDIS_URL: 'unix:///run/redis/redis.sock?db=2' }).redis.url).toBe('unix:///run/redis/redis.sock?db=2');
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example:6380' }).redis.url).toBe('rediss://cache.example:6380');
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL/);
  });

  it('splits CHAT_MODELS into ids and rejects a bad id', () => {
    expect(loadConfig({ CHAT_MODELS: 'doppel-nano-chat, synthetic' }).models.chatModels).toEqual(['doppel-nano-chat', 'synthetic']);
    expect(() => loadConfig({ CHAT_MODELS: 'Bad Model' })).toThrow(/CHAT_MODELS/);
  });

  it('rejects a heartbeat TTL that is not longer than the interval', () => {
    expect(() => loadConfig({ HEARTBEAT_INTERVAL_MS: '5000', HEARTBEAT_TTL_MS: '5000' })).toThrow(/HEARTBEAT_TTL_MS/);
  });

  it('reads OHTTP keys newest first and names a bad entry without echoing it', () => {
    const keys = loadConfig({ OHTTP_KEYS: `2:${'ab'.repeat(32)}, 1:${'CD'.repeat(32)}` }).ohttp.keys;
    expect(keys).toEqual([
      { keyId: 2, seedHex: 'ab'.repeat(32) },
      { keyId: 1, seedHex: 'cd'.repeat(32) },
    ]);
    expect(loadConfig({}).ohttp.keys).toEqual([]);
    const secret = 'ef'.repeat(31);
    expect(() => loadConfig({ OHTTP_KEYS: `1:${secret}` })).toThrow(/OHTTP_KEYS: entry 1/);
    expect(() => loadConfig({ OHTTP_KEYS: `1:${secret}` })).not.toThrow(new RegExp(secret));
    expect(() => loadConfig({ OHTTP_KEYS: `1:${'ab'.repeat(32)},1:${'cd'.repeat(32)}` })).toThrow(/appears twice/);
  });
});
