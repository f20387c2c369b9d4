// The shipped scenarios. Backend parameters follow issue 5: 150 ms to first token, 50 tokens/s, replies of at
// most 40 tokens (the synthetic backend picks 12–40), 40 ms chunk coalescing; agents think 10–20 s between turns.
import { DEFAULT_BACKEND, type Options } from './options';

const WORDS = ['lighthouse', 'kettle', 'storm', 'harbour', 'sardines', 'Lisbon', 'compass', 'tide', 'gull', 'lantern', 'rope', 'fog'];

/** A short, different message per VU and turn (it is also what the runtime embeds and stores as a memory). */
export function defaultMessage(vu: number, turn: number): string {
  const a = WORDS[(vu * 7 + turn) % WORDS.length]!;
  const b = WORDS[(vu + turn * 5) % WORDS.length]!;
  return `Agent ${vu}, turn ${turn}: tell me about the ${a} and the ${b}.`;
}

const CHAT_SLO = { ttftMs: 1000, tpotMs: 100, e2eMs: 5000 };

export const PRESETS: Record<string, Options> = {
  /** CI-sized: a few seconds, 20 agents. The harness's own end-to-end test runs this against a stack it starts. */
  ci: {
    scenarios: { agents: { executor: 'constant-vus', vus: 20, duration: '4s', gracefulStop: '10s' } },
    thinkTimeMs: { min: 200, max: 600 },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '15s',
    thresholds: {
      turn_errors: ['rate<0.01'],
      integrity_errors: ['count==0'],
      checks: ['rate>0.99'],
      ttft: ['p(95)<3000'],
    },
  },

  /** 50 agents for 30 s: the quick "does it work under a little load" run. */
  smoke: {
    scenarios: { agents: { executor: 'constant-vus', vus: 50, duration: '30s', gracefulStop: '15s' } },
    thinkTimeMs: { min: 1000, max: 3000 },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '30s',
    thresholds: {
      turn_errors: ['rate<0.01'],
      integrity_errors: ['count==0'],
      checks: ['rate>0.99'],
      ttft: ['p(95)<1000'],
      goodput: ['rate>0.95'],
    },
  },

  /** 2,000 agents chatting at human pace: ramp in over a minute, hold two minutes. */
  load: {
    scenarios: {
      agents: {
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: '1m', target: 2000 },
          { duration: '2m', target: 2000 },
          { duration: '10s', target: 0 },
        ],
        gracefulRampDown: '30s',
        gracefulStop: '30s',
      },
    },
    thinkTimeMs: { min: 10_000, max: 20_000 },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '60s',
    thresholds: {
      turn_errors: ['rate<0.001'],
      integrity_errors: ['count==0'],
      ttft_added: ['p(95)<50'],
      goodput: ['rate>0.99'],
    },
  },

  /** Ramp to 10,000 agents in steps of 2,000 a minute, hold, then ramp down: where does it stop holding? */
  stress: {
    scenarios: {
      agents: {
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: '1m', target: 2000 },
          { duration: '1m', target: 4000 },
          { duration: '1m', target: 6000 },
          { duration: '1m', target: 8000 },
          { duration: '1m', target: 10_000 },
          { duration: '1m', target: 10_000 },
          { duration: '15s', target: 0 },
        ],
        gracefulRampDown: '30s',
        gracefulStop: '30s',
      },
    },
    thinkTimeMs: { min: 10_000, max: 20_000 },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '60s',
    thresholds: {
      turn_errors: ['rate<0.001'],
      integrity_errors: ['count==0'],
      ttft_added: ['p(95)<50'],
      goodput: ['rate>0.99'],
    },
  },

  /**
   * Open loop: turns arrive at a rate that ramps past what the runtime can serve, whatever the replies do. Latency
   * is measured from each turn's due time, so once the runtime saturates, queueing shows as growing TTFT.
   */
  open: {
    scenarios: {
      arrivals: {
        executor: 'ramping-arrival-rate',
        startRate: 10,
        timeUnit: '1s',
        preAllocatedVUs: 500,
        maxVUs: 1000,
        stages: [
          { duration: '30s', target: 50 },
          { duration: '60s', target: 300 },
          { duration: '30s', target: 300 },
        ],
        gracefulStop: '60s',
      },
    },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '60s',
    maxInFlight: 20_000,
    thresholds: {
      turn_errors: ['rate<0.001'],
      ttft_added: ['p(95)<50'],
    },
  },

  /** Steady human-pace traffic for a long time; its length comes from --soak-duration (required, bounded). */
  soak: {
    scenarios: { agents: { executor: 'constant-vus', vus: 1000, duration: '10m', gracefulStop: '30s' } },
    thinkTimeMs: { min: 10_000, max: 20_000 },
    backend: DEFAULT_BACKEND,
    slo: CHAT_SLO,
    turnTimeout: '60s',
    thresholds: {
      turn_errors: ['rate<0.001'],
      integrity_errors: ['count==0'],
      ttft_added: ['p(95)<50'],
      goodput: ['rate>0.99'],
    },
  },
};
