// The scenario language: k6's `options` (scenarios with executors, thresholds) plus what a chat turn needs
// (backend timing for "added TTFT", SLOs for goodput, think time). Durations use k6's strings: "30s", "2m", "1h30m".

/** The /chat namespace (CHAT_NAMESPACE in @doppel/protocol; the harness imports only the protocol's types). */
export const CHAT_PATH = '/chat';

export interface Stage {
  duration: string;
  target: number;
}

interface ScenarioBase {
  /** Offset from the start of the test, like k6's startTime. */
  startTime?: string;
  /** How long in-flight turns may finish after the scenario ends before they count as interrupted. */
  gracefulStop?: string;
}

export interface ConstantVusScenario extends ScenarioBase {
  executor: 'constant-vus';
  vus: number;
  duration: string;
}

export interface RampingVusScenario extends ScenarioBase {
  executor: 'ramping-vus';
  startVUs?: number;
  stages: Stage[];
  /** VUs above the target finish their current turn within this time, then disconnect. */
  gracefulRampDown?: string;
}

export interface ConstantArrivalRateScenario extends ScenarioBase {
  executor: 'constant-arrival-rate';
  /** Turns per timeUnit. */
  rate: number;
  timeUnit?: string;
  duration: string;
  preAllocatedVUs: number;
  maxVUs?: number;
}

export interface RampingArrivalRateScenario extends ScenarioBase {
  executor: 'ramping-arrival-rate';
  startRate?: number;
  timeUnit?: string;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs?: number;
}

export type Scenario = ConstantVusScenario | RampingVusScenario | ConstantArrivalRateScenario | RampingArrivalRateScenario;
export type Executor = Scenario['executor'];

export interface ThresholdObject {
  threshold: string;
  abortOnFail?: boolean;
}
export type Thresholds = Record<string, (string | ThresholdObject)[]>;

/** What a check sees: one finished turn. */
export interface CheckedTurn {
  ok: boolean;
  errorCode: string | null;
  text: string;
  chunks: number;
  completionTokens: number;
  ttftMs: number | null;
  e2eMs: number;
}
export type Checks = Record<string, (turn: CheckedTurn) => boolean>;

export interface Options {
  scenarios: Record<string, Scenario>;
  thresholds?: Thresholds;
  /** Checks run on every finished turn, on top of the built-in ones (ack ok, reply done, stream intact). */
  checks?: Checks;
  /** Think time between a VU's turns (closed-loop executors only), uniform in [min, max] ms. */
  thinkTimeMs?: { min: number; max: number };
  /** VU executors: each VU waits a uniform random part of thinkTimeMs.max before its first turn (default true). */
  startJitter?: boolean;
  /** The synthetic backend's settings, which the runtime must be started with; the baseline server copies them. */
  backend?: { ttftMs: number; tokensPerSecond: number; chunkIntervalMs: number; maxTokens: number };
  /** Service-level objectives for goodput: a turn counts when it has no error and meets every one given. */
  slo?: { ttftMs?: number; tpotMs?: number; e2eMs?: number };
  /** A turn with no turn:done/turn:error after this long is a TIMEOUT error. */
  turnTimeout?: string;
  /** Message text; the VU index and turn number make each one different. */
  message?: (vu: number, turn: number) => string;
  /** Hard bounds on top of the scenarios' own: the run stops starting turns once either is reached. */
  maxTurns?: number;
  /** Open-loop safety valve per generator: a due turn is dropped (dropped_turns) when this many are in flight. */
  maxInFlight?: number;
}

export const DEFAULT_BACKEND = { ttftMs: 150, tokensPerSecond: 50, chunkIntervalMs: 40, maxTokens: 40 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1h30m", "2m", "30s", "250ms", or a bare number of seconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) throw new Error(`not a duration: "${value}" (use e.g. 30s, 2m, 1h30m, 250ms)`);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

/** How long a scenario runs, start offset excluded, graceful stop excluded. */
export function scenarioDurationMs(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'constant-vus':
    case 'constant-arrival-rate':
      return parseDuration(scenario.duration);
    case 'ramping-vus':
    case 'ramping-arrival-rate':
      return scenario.stages.reduce((total, stage) => total + parseDuration(stage.duration), 0);
  }
}

/** The most VUs a scenario can hold at once. */
export function scenarioMaxVus(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'constant-vus':
      return scenario.vus;
    case 'ramping-vus':
      return Math.max(scenario.startVUs ?? 0, ...scenario.stages.map((stage) => stage.target));
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return Math.max(scenario.preAllocatedVUs, scenario.maxVUs ?? 0);
  }
}

export function gracefulStopMs(scenario: Scenario): number {
  return parseDuration(scenario.gracefulStop ?? '30s');
}

/** The end of the last scenario plus its graceful stop: the test's own bound. */
export function testDurationMs(options: Options): number {
  return Math.max(
    ...Object.values(options.scenarios).map((scenario) => parseDuration(scenario.startTime ?? '0s') + scenarioDurationMs(scenario) + gracefulStopMs(scenario)),
  );
}

export function validateOptions(options: Options): string[] {
  const problems: string[] = [];
  const names = Object.keys(options.scenarios ?? {});
  if (names.length === 0) problems.push('options.scenarios is empty');
  for (const name of names) {
    const scenario = options.scenarios[name]!;
    const where = `scenarios.${name}`;
    try {
      scenarioDurationMs(scenario);
      parseDuration(scenario.startTime ?? '0s');
      gracefulStopMs(scenario);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    switch (scenario.executor) {
      case 'constant-vus':
        if (!(scenario.vus > 0)) problems.push(`${where}.vus must be > 0`);
        break;
      case 'ramping-vus':
        if (!scenario.stages?.length) problems.push(`${where}.stages is empty`);
        break;
      case 'constant-arrival-rate':
        if (!(scenario.rate > 0)) problems.push(`${where}.rate must be > 0`);
        if (!(scenario.preAllocatedVUs > 0)) problems.push(`${where}.preAllocatedVUs must be > 0`);
        break;
      case 'ramping-arrival-rate':
        if (!scenario.stages?.length) problems.push(`${where}.stages is empty`);
        if (!(scenario.preAllocatedVUs > 0)) problems.push(`${where}.preAllocatedVUs must be > 0`);
        break;
      default:
        problems.push(`${where}.executor "${(scenario as { executor: string }).executor}" is not one of constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate`);
    }
  }
  return problems;
}
