// An example scenario file: k6's `options`, in TypeScript. Run it with
//   npm run loadtest -- --scenario loadtest/src/scenarios/example.ts --url http://127.0.0.1:3100
// Two scenarios at once: a steady closed-loop crowd and, 20 s in, an open-loop burst of arrivals.
import type { Options } from '../options';

export const options: Options = {
  scenarios: {
    crowd: { executor: 'constant-vus', vus: 200, duration: '1m' },
    burst: {
      executor: 'constant-arrival-rate',
      startTime: '20s',
      rate: 20,
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 50,
      maxVUs: 100,
    },
  },
  thinkTimeMs: { min: 3000, max: 8000 },
  backend: { ttftMs: 150, tokensPerSecond: 50, chunkIntervalMs: 40, maxTokens: 40 },
  slo: { ttftMs: 500, tpotMs: 50, e2eMs: 3000 },
  thresholds: {
    ttft: ['p(95)<500', { threshold: 'p(99)<5000', abortOnFail: true }],
    turn_errors: ['rate<0.001'],
    integrity_errors: ['count==0'],
    checks: ['rate>0.99'],
  },
  checks: {
    'reply is one sentence': (turn) => turn.ok && /^[A-Z].*\.$/.test(turn.text),
    'at least 12 tokens': (turn) => turn.completionTokens >= 12,
  },
  message: (vu, turn) => `Agent ${vu} asks question ${turn}: what did the lighthouse see last night?`,
};
