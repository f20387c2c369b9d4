import { describe, expect, it } from 'vitest';
import { parseCommandStats, postgresCost, redisCost, type PostgresSnapshot } from './server-stats';

const INFO_BEFORE = ['# Commandstats', 'cmdstat_xadd:calls=100,usec=500,usec_per_call=5.00,rejected_calls=0,failed_calls=0', 'cmdstat_get:calls=10,usec=20,usec_per_call=2.00', ''].join('\r\n');
const INFO_AFTER = [
  '# Commandstats',
  'cmdstat_xadd:calls=300,usec=1500,usec_per_call=5.00,rejected_calls=0,failed_calls=0',
  'cmdstat_get:calls=10,usec=20,usec_per_call=2.00',
  'cmdstat_evalsha:calls=40,usec=4000,usec_per_call=100.00',
  'cmdstat_client|id:calls=4,usec=4,usec_per_call=1.00',
].join('\r\n');

const snapshot = (values: Partial<PostgresSnapshot>): PostgresSnapshot => ({
  commits: 0,
  rollbacks: 0,
  walRecords: 0,
  walBytes: 0,
  walWrites: 0,
  walSyncs: 0,
  statements: new Map(),
  ...values,
});

describe('server statistics per ok turn', () => {
  it('reads INFO commandstats, subcommands included', () => {
    const counts = parseCommandStats(INFO_AFTER);
    expect(counts.get('xadd')).toEqual({ calls: 300, usec: 1500 });
    expect(counts.get('client|id')).toEqual({ calls: 4, usec: 4 });
    expect(counts.size).toBe(4);
  });

  it("gives Redis's calls and time per turn by command, costliest first, leaving out commands not called in the run", () => {
    const cost = redisCost(parseCommandStats(INFO_BEFORE), parseCommandStats(INFO_AFTER), 20);
    expect(cost.commands).toEqual([
      { command: 'evalsha', calls: 40, callsPerTurn: 2, usPerTurn: 200 },
      { command: 'xadd', calls: 200, callsPerTurn: 10, usPerTurn: 50 },
      { command: 'client|id', calls: 4, callsPerTurn: 0.2, usPerTurn: 0.2 },
    ]);
  });

  it("gives PostgreSQL's commits, WAL and statements per turn, costliest statement first", () => {
    const before = snapshot({ commits: 1000, walSyncs: 50, walRecords: 10, walBytes: 100, statements: new Map([['1', { query: 'UPDATE turns', calls: 5, totalMs: 2, plans: 0, planMs: 0 }]]) });
    const after = snapshot({
      commits: 1400,
      walSyncs: 350,
      walWrites: 300,
      walRecords: 7810,
      walBytes: 800_100,
      statements: new Map([
        ['1', { query: 'UPDATE turns', calls: 105, totalMs: 32, plans: 0, planMs: 0 }],
        ['2', { query: 'INSERT INTO messages', calls: 100, totalMs: 50, plans: 0, planMs: 0 }],
        ['3', { query: 'SELECT 1', calls: 0, totalMs: 0, plans: 0, planMs: 0 }],
      ]),
    });
    const cost = postgresCost(before, after, 100);
    expect(cost).toMatchObject({ commitsPerTurn: 4, walSyncsPerTurn: 3, walWritesPerTurn: 3, walRecordsPerTurn: 78, walBytesPerTurn: 8000 });
    expect(cost.statements).toEqual([
      { query: 'INSERT INTO messages', calls: 100, callsPerTurn: 1, msPerTurn: 0.5, meanMs: 0.5 },
      { query: 'UPDATE turns', calls: 100, callsPerTurn: 1, msPerTurn: 0.3, meanMs: 0.3 },
    ]);
  });

  it('adds the share of calls that made a plan and the planning time where the server tracks planning', () => {
    const before = snapshot({ statements: new Map([['1', { query: 'WITH owned AS', calls: 10, totalMs: 5, plans: 5, planMs: 2 }]]) });
    const after = snapshot({
      statements: new Map([
        ['1', { query: 'WITH owned AS', calls: 210, totalMs: 105, plans: 117, planMs: 52.4 }],
        ['2', { query: 'UPDATE turns', calls: 200, totalMs: 60, plans: 0, planMs: 0 }],
      ]),
    });
    expect(postgresCost(before, after, 200).statements).toEqual([
      { query: 'WITH owned AS', calls: 200, callsPerTurn: 1, msPerTurn: 0.5, meanMs: 0.5, plansPerCall: 0.56, planMsPerTurn: 0.252 },
      { query: 'UPDATE turns', calls: 200, callsPerTurn: 1, msPerTurn: 0.3, meanMs: 0.3 },
    ]);
  });

  it('says why there are no statements when pg_stat_statements could not be read', () => {
    const cost = postgresCost(snapshot({ statements: 'pg_stat_statements is not installed' }), snapshot({ statements: 'pg_stat_statements is not installed' }), 10);
    expect(cost.statements).toBe('pg_stat_statements is not installed');
  });
});
