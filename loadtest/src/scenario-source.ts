// Where a run's options come from: a preset by name or a scenario module (`export const options: Options`), plus
// command-line overrides. The coordinator and every generator resolve the same source the same way, so functions
// in a scenario (checks, message) work in the generator processes without being serialised.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_BACKEND, scenarioMaxVus, type Options, type Scenario } from './options';
import { defaultMessage, PRESETS } from './presets';

export interface ScenarioSource {
  preset?: string;
  /** Absolute path of a compiled scenario module (.js). */
  file?: string;
}

export interface OptionOverrides {
  /** Constant executors: the VU count; ramping-vus: stage targets scaled so the peak is this. */
  vus?: number;
  /** Constant executors' duration. */
  duration?: string;
  thinkTimeMs?: { min: number; max: number };
  backend?: Partial<NonNullable<Options['backend']>>;
  /** Replace (per metric) or add thresholds. */
  thresholds?: Record<string, string[]>;
  maxTurns?: number;
}

/** A .ts scenario under loadtest/src maps to its compiled twin under loadtest/dist. */
export function resolveScenarioFile(path: string): string {
  const absolute = resolve(path);
  if (absolute.endsWith('.ts')) {
    const loadtestRoot = resolve(__dirname, '../../..');
    const relative = absolute.startsWith(loadtestRoot) ? absolute.slice(loadtestRoot.length + 1) : null;
    const compiled = relative ? resolve(__dirname, '..', relative.replace(/\.ts$/, '.js')) : null;
    if (compiled && existsSync(compiled)) return compiled;
    throw new Error(`${path}: a TypeScript scenario must live under loadtest/src and be compiled (npm run loadtest compiles it)`);
  }
  return absolute;
}

export function loadOptions(source: ScenarioSource, overrides: OptionOverrides = {}): Options {
  let base: Options;
  if (source.file) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(source.file) as { options?: Options; default?: { options?: Options } };
    const options = module.options ?? module.default?.options;
    if (!options) throw new Error(`${source.file} exports no \`options\``);
    base = options;
  } else {
    const preset = PRESETS[source.preset ?? 'smoke'];
    if (!preset) throw new Error(`unknown preset "${source.preset}"; one of ${Object.keys(PRESETS).join(', ')}`);
    base = preset;
  }
  return applyOverrides(base, overrides);
}

export function applyOverrides(base: Options, overrides: OptionOverrides): Options {
  const scenarios: Record<string, Scenario> = {};
  for (const [name, original] of Object.entries(base.scenarios)) {
    const scenario = structuredClone(original);
    if (scenario.executor === 'constant-vus') {
      if (overrides.vus !== undefined) scenario.vus = overrides.vus;
      if (overrides.duration !== undefined) scenario.duration = overrides.duration;
    } else if (scenario.executor === 'constant-arrival-rate') {
      if (overrides.duration !== undefined) scenario.duration = overrides.duration;
    } else if (scenario.executor === 'ramping-vus' && overrides.vus !== undefined) {
      const peak = scenarioMaxVus(scenario);
      const scale = peak > 0 ? overrides.vus / peak : 1;
      scenario.stages = scenario.stages.map((stage) => ({ ...stage, target: Math.round(stage.target * scale) }));
      if (scenario.startVUs) scenario.startVUs = Math.round(scenario.startVUs * scale);
    }
    scenarios[name] = scenario;
  }
  const thresholds = { ...(base.thresholds ?? {}) };
  for (const [metric, list] of Object.entries(overrides.thresholds ?? {})) thresholds[metric] = list;
  return {
    ...base,
    scenarios,
    thresholds,
    thinkTimeMs: overrides.thinkTimeMs ?? base.thinkTimeMs ?? { min: 10_000, max: 20_000 },
    backend: { ...DEFAULT_BACKEND, ...(base.backend ?? {}), ...(overrides.backend ?? {}) },
    slo: base.slo ?? {},
    message: base.message ?? defaultMessage,
    maxTurns: overrides.maxTurns ?? base.maxTurns,
  };
}

/** Options without functions, for the JSON summary. */
export function serialisableOptions(options: Options): Omit<Options, 'checks' | 'message'> & { checks?: string[] } {
  const { checks, message: _message, ...rest } = options;
  return { ...rest, ...(checks ? { checks: Object.keys(checks) } : {}) };
}
