// The socket.io contract of the /ops namespace (operators only): a snapshot of the deployment about once a second,
// computed from PostgreSQL and Redis, so every gateway sends the same figures.
export const OPS_NAMESPACE = '/ops';

export interface OpsNode {
  address: string;
  nodeId: string;
  live: boolean;
  chatModels: string[];
  levels: string[];
  activeTurns: number | null;
  concurrency: number | null;
  turnsServed: number;
  strikes: number;
  revoked: boolean;
  lastSeenAt: string;
}

export interface OpsPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface OpsLevel {
  level: string;
  turnsDone: number;
  turnsFailed: number;
  /** What proof costs: node time after generation (signing, waiting for the re-execution). */
  addedMs: OpsPercentiles;
  totalMs: OpsPercentiles;
  reexecMismatches: number;
}

export interface OpsLoadTestSummary {
  file: string;
  name: string;
  startedAt: string;
  durationS: number;
  turnsPerS: number | null;
  turns: number | null;
  turnsOk: number | null;
  ttftMs: OpsPercentiles;
  e2eMs: OpsPercentiles;
  thresholdsOk: boolean | null;
}

export interface OpsSnapshot {
  at: string;
  nodes: OpsNode[];
  /** waitMs: queued → started, over turns that finished in the last minute. */
  queue: { queued: number; running: number; waitMs: OpsPercentiles };
  /** Turns finished per second over the last `windowSeconds`. */
  throughput: { windowSeconds: number; turnsPerSecond: number; failedPerSecond: number };
  /** Over the last minute of finished turns. */
  latency: { timeToFirstTokenMs: OpsPercentiles; totalMs: OpsPercentiles };
  /** Over the last hour. */
  levels: OpsLevel[];
  loadTest: OpsLoadTestSummary | null;
}

export interface OpsServerToClientEvents {
  'ops:snapshot': (snapshot: OpsSnapshot) => void;
}
export type OpsClientToServerEvents = Record<string, never>;
