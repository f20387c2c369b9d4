import { describe, expect, it } from 'vitest';
import { poolConfig } from './create-database';

describe('poolConfig', () => {
  it('keeps idle connections for minutes, not pg-pool’s 10 s (a new one re-prepares every statement)', () => {
    expect(poolConfig('postgres://127.0.0.1/x').idleTimeoutMillis).toBeGreaterThanOrEqual(60_000);
  });

  it('bounds the pool and the wait for a connection as asked', () => {
    expect(poolConfig('postgres://127.0.0.1/x', { maxConnections: 3, connectionWaitMs: 250 })).toMatchObject({ max: 3, connectionTimeoutMillis: 250 });
  });
});
