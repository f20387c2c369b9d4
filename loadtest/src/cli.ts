// `npm run loadtest -- [preset] [flags]`: the coordinator. It checks the target (127.0.0.1 only), creates the
// persona, forks the generator processes, merges their metrics every second, prints a progress line, and at the end
// writes the text summary, the JSON summary and the HTML report; the exit code is 99 when a threshold failed.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AdmissionSampler, type AdmissionSample } from './admission-sampler';
import { capacityTargets, NotACapacityRecord, renderTargets } from './capacity-targets';
import type { FromGenerator, GeneratorConfig, ToGenerator } from './generator';
import { Aggregate } from './metrics';
import { OUTSIDE_WARN_PERCENT, outsideCpu } from './outside-cpu';
import { parseDuration, scenarioMaxVus, testDurationMs, validateOptions, formatDuration, type Options } from './options';
import { CpuSampler, parseWatch, type Watch } from './proc-stats';
import { renderHtml } from './report-html';
import { referenceSummary, type ReferenceSummary } from './reference-summary';
import { renderText } from './report-text';
import { ServerStatsReader } from './server-stats';
import { loadOptions, resolveScenarioFile, serialisableOptions, type OptionOverrides, type ScenarioSource } from './scenario-source';
import { buildSummary, compareWithBaseline, evaluateThresholds, metricValues, refreshDerived, type Summary } from './summary';
import { splitThresholdFlag } from './thresholds';
import { signUp } from './vu';

export const EXIT_THRESHOLDS_FAILED = 99;
/** Reference runs' small committed records; everything under loadtest/results is generated and untracked. */
const REFERENCE_DIR = resolve(__dirname, '../../../reference');
/** Bounds no flag can lift: the harness never runs unbounded. */
const HARD_MAX_VUS = 20_000;
const HARD_MAX_DURATION_MS = parseDuration('24h');
/** Generator event-loop p99 above this means its own lateness is in the measurements. */
const LOOP_WARN_MS = 50;

const USAGE = `usage: npm run loadtest -- [preset] [flags]
  presets: ci, smoke, load, stress, open, soak (needs --soak-duration)
  --scenario FILE          a scenario module exporting \`options\` (k6 style) instead of a preset
  --url URL                target, default http://127.0.0.1:3000 (127.0.0.1 only)
  --baseline               run against the bundled bare socket.io server instead of the runtime
  --with-baseline          run the baseline first, then the runtime, and report runtime ÷ baseline
  --compare FILE           a baseline JSON summary to compare this run with
  --out PREFIX             write PREFIX.json and PREFIX.html (default loadtest/out/<name>-<time>)
  --vus N --duration D     override constant executors (ramping-vus: scale stages to peak N)
  --threshold M=EXPR       add/replace a threshold, e.g. --threshold 'ttft=p(95)<250' (repeatable)
  --think-min-ms N --think-max-ms N      think time between a VU's turns
  --ttft-ms N --tokens-per-second N --chunk-ms N --max-tokens N   backend settings (must match the runtime's)
  --generators N           generator processes (default: one per 2,500 VUs, at most 4)
  --max-duration D         hard stop (default 30m); --soak-duration D sets and bounds a soak run (≤ 24h)
  --max-vus N              refuse scenarios above N VUs (default 12000, never above ${HARD_MAX_VUS})
  --max-turns N            stop starting turns after N
  --watch LABEL=PID|tree:PID|comm:NAME|cmd:TEXT   sample the CPU of processes under test (repeatable)
  --redis-stats URL        Redis behind the runtime: its commands per ok turn (INFO commandstats, before and after)
  --pg-stats URL           PostgreSQL behind the runtime: commits, WAL flushes and (with pg_stat_statements) the
                           costliest statements per ok turn; loadtest/stack.sh puts both flags in its watch-flags
  --admission URL          the gateway's admission control once a second (its /operator/admission: limit, turns in
                           flight, refusals) in the per-second series; the operator key is read from
                           --operator-key-file FILE or LOADTEST_OPERATOR_KEY (loadtest/stack.sh sets both flags)
  --setup-concurrency N    REST calls in flight per generator while creating accounts (default 16)
  --note TEXT              recorded in the summary
  --render FILE.json       re-draw FILE.html and the text summary from a JSON summary (fills in derived
                           fields added since it was recorded; with --compare, recomputes the ratios)
  --reference FILE.json    write the committed record of a reference run, loadtest/reference/<name>.json: the
                           summary without its per-second series plus 10-s windows (with --compare, the baseline's too)
  --targets FILE.json…     issue 12's capacity targets, met or not, from records of load, stress and open runs made
                           with --with-baseline (a Markdown table; exit 99 when any is missed)`;

interface RunPlan {
  name: string;
  kind: 'runtime' | 'baseline';
  url: string;
  source: ScenarioSource;
  overrides: OptionOverrides;
  options: Options;
  generators: number;
  setupConcurrency: number;
  maxDurationMs: number;
  watches: Watch[];
  /** The runtime's servers to read statistics from (never for the baseline, which uses neither). */
  serverStats?: { redis?: string; postgres?: string };
  /** The gateway's admission state (never for the baseline, which has none). */
  admission?: { url: string; operatorKey: string };
  note?: string;
  quiet: boolean;
}

/** Only the loopback address: a load test must never leave the machine. */
export function checkTarget(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:') throw new Error(`target ${raw}: only http:// on 127.0.0.1`);
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  if (url.hostname !== '127.0.0.1') throw new Error(`target ${raw}: the harness only targets 127.0.0.1, refusing ${url.hostname}`);
  return url.origin;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function checkReady(url: string, kind: string): Promise<void> {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) }).catch((error: Error) => {
    throw new Error(`${kind} at ${url} is not reachable (${error.message}); start it first (see loadtest/README.md)`);
  });
  if (response.status !== 200) throw new Error(`${kind} at ${url} is not ready: ${response.status} ${(await response.text()).slice(0, 300)}`);
}

async function createPersona(url: string, maxTokens: number): Promise<string> {
  const apiKey = await signUp(url, 'loadtest owner');
  const response = await fetch(`${url}/personas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({
      name: 'Loadtest Ada',
      description: 'A retired lighthouse keeper, cloned for load tests.',
      personality: 'Dry humour, short answers.',
      greeting: 'Evening. Kettle is on.',
      tags: ['loadtest'],
      visibility: 'public',
      defaultModel: 'synthetic',
      generation: { maxTokens },
    }),
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || !body.id) throw new Error(`could not create the persona: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

function startBaselineProcess(backend: NonNullable<Options['backend']>): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(resolve(__dirname, 'baseline-server.js'), [
    '--ttft-ms', String(backend.ttftMs),
    '--tokens-per-second', String(backend.tokensPerSecond),
    '--chunk-ms', String(backend.chunkIntervalMs),
    '--max-tokens', String(backend.maxTokens),
  ], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => rejectStart(new Error('the baseline server did not start in 10 s')), 10_000);
    child.once('message', (message: { type: string; url: string }) => {
      clearTimeout(timer);
      resolveStart({ url: message.url, child });
    });
    child.once('exit', (code) => rejectStart(new Error(`the baseline server exited with ${code}`)));
  });
}

function progressLine(plan: RunPlan, aggregate: Aggregate, elapsedMs: number, totalMs: number): string {
  const last = aggregate.series[aggregate.series.length - 1];
  const gauges = aggregate.gauges;
  const turns = aggregate.counters.turns;
  const [errors] = aggregate.rates.turn_errors;
  const ttft = last?.latency.ttft;
  const e2e = last?.latency.e2e;
  const ms = (value: number | undefined) => (value === undefined ? '-' : value >= 1000 ? `${(value / 1000).toFixed(1)}s` : `${Math.round(value)}ms`);
  return (
    `[${formatDuration(elapsedMs).padStart(6)}/${formatDuration(totalMs)}] ${plan.kind} VUs ${gauges.vus} conn ${gauges.connections} in-flight ${gauges.inFlight} | ` +
    `turns ${turns} (${last?.turnsPerS ?? 0}/s) err ${turns ? ((errors / turns) * 100).toFixed(2) : '0.00'}% | ` +
    `ttft p50 ${ms(ttft?.p50)} p95 ${ms(ttft?.p95)} e2e p95 ${ms(e2e?.p95)} | gen loop p99 ${Math.round(last?.generatorLoopP99Ms ?? 0)}ms cpu ${Math.round(last?.generatorCpuPercent ?? 0)}%`
  );
}

async function runOnce(plan: RunPlan): Promise<Summary> {
  const { options } = plan;
  const backend = options.backend!;
  const personaId = await createPersona(plan.url, backend.maxTokens);
  const aggregate = new Aggregate(plan.generators);
  const testMs = testDurationMs(options);
  const hardStopMs = Math.min(plan.maxDurationMs, testMs + 5_000);
  const children: ChildProcess[] = [];
  const setupProgress = new Map<number, { done: number; total: number; failed: number }>();
  const ready = new Set<number>();
  const finished = new Set<number>();
  const warnings: string[] = [];
  let abortedBy: string | undefined;

  const generatorScript = resolve(__dirname, 'generator.js');
  let resolveReady!: () => void;
  let rejectRun!: (error: Error) => void;
  let resolveFinished!: () => void;
  const allReady = new Promise<void>((resolveIt) => (resolveReady = resolveIt));
  const allFinished = new Promise<void>((resolveIt) => (resolveFinished = resolveIt));
  const failure = new Promise<never>((_, reject) => (rejectRun = reject));
  let lastSetupLog = 0;

  // LOADTEST_GENERATOR_NODE_FLAGS: extra node flags for the generators, e.g. --cpu-prof to see where their CPU goes.
  const extraFlags = (process.env.LOADTEST_GENERATOR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  for (let index = 0; index < plan.generators; index++) {
    const child = fork(generatorScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096', ...extraFlags] });
    children.push(child);
    child.on('message', (message: FromGenerator) => {
      switch (message.type) {
        case 'setup-progress': {
          setupProgress.set(message.generator, message);
          const values = [...setupProgress.values()];
          const done = values.reduce((sum, value) => sum + value.done, 0);
          const total = values.reduce((sum, value) => sum + value.total, 0);
          const failed = values.reduce((sum, value) => sum + value.failed, 0);
          if (!plan.quiet && Date.now() - lastSetupLog > 2000) {
            lastSetupLog = Date.now();
            log(`setup: ${done}/${total} agents have an account and a conversation${failed ? ` (${failed} failed)` : ''}`);
          }
          break;
        }
        case 'ready':
          ready.add(message.generator);
          if (ready.size === plan.generators) resolveReady();
          break;
        case 'snapshot':
          aggregate.add(message.snapshot);
          break;
        case 'log':
          log(`generator ${message.generator}: ${message.message}`);
          break;
        case 'finished':
          finished.add(message.generator);
          if (finished.size === plan.generators) resolveFinished();
          break;
      }
    });
    child.on('exit', (code) => {
      if (!finished.has(index)) {
        finished.add(index);
        if (code !== 0) rejectRun(new Error(`generator ${index} exited with ${code} before finishing`));
        if (finished.size === plan.generators) resolveFinished();
      }
    });
    const config: GeneratorConfig = {
      index,
      count: plan.generators,
      url: plan.url,
      personaId,
      source: plan.source,
      overrides: plan.overrides,
      setupConcurrency: plan.setupConcurrency,
      hardStopMs,
    };
    child.send({ type: 'init', config } satisfies ToGenerator);
  }
  const killAll = () => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'));
  process.once('SIGINT', () => {
    log('interrupted: stopping generators (Ctrl-C again kills them)');
    abortedBy = 'SIGINT';
    children.forEach((child) => child.connected && child.send({ type: 'stop', reason: 'SIGINT' } satisfies ToGenerator));
    process.once('SIGINT', () => {
      killAll();
      process.exit(130);
    });
  });

  const setupStarted = Date.now();
  await Promise.race([allReady, failure]);
  const setupValues = [...setupProgress.values()];
  const setupFailed = setupValues.reduce((sum, value) => sum + value.failed, 0);
  const setupTotal = setupValues.reduce((sum, value) => sum + value.total, 0);
  if (!plan.quiet) log(`setup: ${setupTotal - setupFailed}/${setupTotal} agents ready in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
  if (setupFailed > Math.max(1, setupTotal * 0.01)) {
    killAll();
    throw new Error(`${setupFailed} of ${setupTotal} agents could not sign up or open a conversation`);
  }

  const serverStats = new ServerStatsReader(plan.serverStats ?? {});
  await serverStats.start();
  const startedAt = new Date(Date.now() + 1000);
  for (const child of children) child.send({ type: 'start', startEpochMs: startedAt.getTime() } satisfies ToGenerator);
  const sampler = new CpuSampler(plan.watches);
  const cpuSeries: { t: number; cpu: Record<string, number> }[] = [];
  const admission = plan.admission ? new AdmissionSampler(plan.admission.url, plan.admission.operatorKey) : null;
  const admissionSeries: { t: number; admission: AdmissionSample }[] = [];
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let lastAbortCheck = 0;
  let lastLoopWarning = 0;
  const ticker = setInterval(() => {
    const elapsedMs = Date.now() - startedAt.getTime();
    if (elapsedMs < 0) return;
    const t = Math.round(elapsedMs / 1000);
    cpuSeries.push({ t, cpu: sampler.sample() });
    const admitted = admission?.sample();
    // Read during the second before this tick, like the CPU sample.
    if (admitted) admissionSeries.push({ t, admission: admitted });
    const last = aggregate.series[aggregate.series.length - 1];
    if (last && last.generatorLoopP99Ms > LOOP_WARN_MS * 2 && Date.now() - lastLoopWarning > 10_000) {
      lastLoopWarning = Date.now();
      log(`\n⚠ load generator event-loop p99 ${Math.round(last.generatorLoopP99Ms)} ms at ${last.t}s: the generator, not only the target, is slow; latencies include its delay`);
    }
    if (!plan.quiet && (tty || Date.now() - lastLine >= 5000)) {
      lastLine = Date.now();
      const line = progressLine(plan, aggregate, elapsedMs, testMs);
      process.stderr.write(tty ? `\r${line.slice(0, process.stderr.columns ? process.stderr.columns - 1 : 200)}` : `${line}\n`);
    }
    // abortOnFail thresholds, k6 style: checked every 5 s after the first 10 s.
    if (elapsedMs > 10_000 && Date.now() - lastAbortCheck > 5000 && !abortedBy) {
      lastAbortCheck = Date.now();
      const failed = evaluateThresholds(options, metricValues(aggregate, elapsedMs / 1000)).find((result) => result.abortOnFail && !result.ok && result.actual !== null);
      if (failed) {
        abortedBy = `threshold ${failed.metric} '${failed.source}' (actual ${failed.actual})`;
        log(`\n✗ aborting: ${abortedBy} failed`);
        children.forEach((child) => child.connected && child.send({ type: 'stop', reason: abortedBy! } satisfies ToGenerator));
      }
    }
  }, 1000);
  // The coordinator's own bound: generators stop themselves at hardStopMs; this kills them if they do not.
  const killer = setTimeout(() => {
    warnings.push('generators did not stop in time and were killed');
    killAll();
  }, hardStopMs + 60_000);
  try {
    await Promise.race([allFinished, failure]);
  } finally {
    clearInterval(ticker);
    clearTimeout(killer);
    if (tty && !plan.quiet) process.stderr.write('\n');
  }
  const durationS = (Date.now() - startedAt.getTime()) / 1000;
  aggregate.flushSeries();

  const values = metricValues(aggregate, durationS);
  const thresholds = evaluateThresholds(options, values);
  const slowSeconds = aggregate.series.filter((point) => point.generatorLoopP99Ms > LOOP_WARN_MS).length;
  if (slowSeconds > 0) {
    warnings.push(
      `generator event-loop p99 exceeded ${LOOP_WARN_MS} ms in ${slowSeconds} of ${aggregate.series.length} seconds (worst ${Math.round(aggregate.worstLoopP99Ms)} ms): ` +
        'in those seconds the load generator itself was a bottleneck and its delay is inside the latencies (see send_lag)',
    );
  }
  const sendLagP99 = values.send_lag?.percentile?.(99) ?? 0;
  if (sendLagP99 > LOOP_WARN_MS) warnings.push(`send_lag p99 is ${Math.round(sendLagP99)} ms: turns left the generator late`);
  const busySeconds = aggregate.series.filter((point) => point.generatorCpuPercent / plan.generators > 90).length;
  if (busySeconds > 0) warnings.push(`generators averaged > 90% CPU each in ${busySeconds} seconds`);
  const outside = outsideCpu(cpuSeries, new Map(aggregate.series.map((point) => [point.t, point.generatorCpuPercent])));
  if (outside && outside.seconds > 0) {
    warnings.push(
      `processes outside the run (neither watched nor generators) used > ${OUTSIDE_WARN_PERCENT}% of a core in ${outside.seconds} of ${outside.of} seconds ` +
        `(worst ${outside.worstPercent}% at ${outside.worstAtS}s): their CPU competes with the target; find them (top, perf record -a) before reading refusals or the tail in those seconds as the target's`,
    );
  }

  const summary = buildSummary({
    name: plan.name,
    kind: plan.kind,
    target: plan.url,
    startedAt,
    durationS,
    generators: plan.generators,
    note: plan.note,
    options: serialisableOptions(options),
    aggregate,
    thresholds,
    abortedBy,
    warnings,
    cpuSeries,
    admissionSeries,
    admission: admission?.summary(),
  });
  const stats = await serverStats.finish(summary.counters.turns_ok ?? 0);
  if (stats) summary.serverStats = stats;
  for (const error of stats?.errors ?? []) summary.generatorHealth.warnings.push(`server statistics not read: ${error}`);
  return summary;
}

function writeOutputs(prefix: string, summary: Summary, quiet: boolean): void {
  mkdirSync(dirname(prefix), { recursive: true });
  writeFileSync(`${prefix}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${prefix}.html`, renderHtml(summary));
  process.stdout.write(renderText(summary));
  if (!quiet) log(`wrote ${prefix}.json and ${prefix}.html`);
}

export async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      preset: { type: 'string' },
      scenario: { type: 'string' },
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      baseline: { type: 'boolean', default: false },
      'with-baseline': { type: 'boolean', default: false },
      compare: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      vus: { type: 'string' },
      duration: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      'think-min-ms': { type: 'string' },
      'think-max-ms': { type: 'string' },
      'ttft-ms': { type: 'string' },
      'tokens-per-second': { type: 'string' },
      'chunk-ms': { type: 'string' },
      'max-tokens': { type: 'string' },
      generators: { type: 'string' },
      'max-duration': { type: 'string', default: '30m' },
      'soak-duration': { type: 'string' },
      'max-vus': { type: 'string', default: '12000' },
      'max-turns': { type: 'string' },
      watch: { type: 'string', multiple: true },
      'redis-stats': { type: 'string' },
      'pg-stats': { type: 'string' },
      admission: { type: 'string' },
      'operator-key-file': { type: 'string' },
      'setup-concurrency': { type: 'string', default: '16' },
      note: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      render: { type: 'string' },
      reference: { type: 'string' },
      targets: { type: 'boolean', default: false },
    },
  });
  if (flags.help) {
    log(USAGE);
    return 0;
  }
  if (flags.render) {
    // Re-draw the text and HTML reports of a JSON summary (e.g. after a report change).
    const baseline = flags.compare ? (JSON.parse(readFileSync(flags.compare, 'utf8')) as Summary) : undefined;
    const summary = refreshDerived(JSON.parse(readFileSync(flags.render, 'utf8')) as Summary, baseline, flags.compare && basename(flags.compare));
    writeFileSync(flags.render, `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(flags.render.replace(/\.json$/, '.html'), renderHtml(summary));
    process.stdout.write(renderText(summary));
    return 0;
  }
  if (flags.reference) {
    const baseline = flags.compare ? (JSON.parse(readFileSync(flags.compare, 'utf8')) as Summary) : undefined;
    const run = JSON.parse(readFileSync(flags.reference, 'utf8')) as Summary;
    const file = resolve(REFERENCE_DIR, basename(flags.reference));
    mkdirSync(REFERENCE_DIR, { recursive: true });
    writeFileSync(file, `${JSON.stringify(referenceSummary(run, baseline), null, 2)}\n`);
    log(`wrote ${file}`);
    return 0;
  }
  if (flags.targets) {
    if (positionals.length === 0) throw new UsageError('--targets needs the records of load, stress and/or open runs (loadtest/reference/*.json)');
    try {
      const results = capacityTargets(positionals.map((file) => JSON.parse(readFileSync(file, 'utf8')) as ReferenceSummary));
      process.stdout.write(renderTargets(results));
      return results.every((result) => result.met) ? 0 : EXIT_THRESHOLDS_FAILED;
    } catch (error) {
      if (error instanceof NotACapacityRecord) throw new UsageError(error.message);
      throw error;
    }
  }
  const presetName = flags.preset ?? positionals[0] ?? (flags.scenario ? undefined : 'smoke');
  const source: ScenarioSource = flags.scenario ? { file: resolveScenarioFile(flags.scenario) } : { preset: presetName };
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const overrides: OptionOverrides = {};
  if (flags.vus) overrides.vus = Number(flags.vus);
  if (flags.duration) overrides.duration = flags.duration;
  if (presetName === 'soak') {
    if (!flags['soak-duration']) throw new UsageError('the soak preset needs --soak-duration (e.g. 2h); it is bounded by design');
    if (parseDuration(flags['soak-duration']) > HARD_MAX_DURATION_MS) throw new UsageError('--soak-duration is at most 24h');
    overrides.duration = flags['soak-duration'];
  }
  if (flags['think-min-ms'] || flags['think-max-ms']) {
    const min = Number(flags['think-min-ms'] ?? flags['think-max-ms']);
    overrides.thinkTimeMs = { min, max: Math.max(min, Number(flags['think-max-ms'] ?? min)) };
  }
  const backend = {
    ttftMs: number(flags['ttft-ms']),
    tokensPerSecond: number(flags['tokens-per-second']),
    chunkIntervalMs: number(flags['chunk-ms']),
    maxTokens: number(flags['max-tokens']),
  };
  overrides.backend = Object.fromEntries(Object.entries(backend).filter(([, value]) => value !== undefined));
  if (flags.threshold) {
    overrides.thresholds = {};
    for (const flag of flags.threshold) {
      const [metric, expression] = splitThresholdFlag(flag);
      (overrides.thresholds[metric] ??= []).push(expression);
    }
  }
  if (flags['max-turns']) overrides.maxTurns = Number(flags['max-turns']);

  const options = loadOptions(source, overrides);
  const problems = validateOptions(options);
  if (problems.length > 0) throw new UsageError(`invalid options:\n  ${problems.join('\n  ')}`);
  evaluateThresholds(options, {}); // parses every threshold: a typo fails before any load is sent

  const maxVus = Object.values(options.scenarios).reduce((sum, scenario) => sum + scenarioMaxVus(scenario), 0);
  const vuCap = Math.min(HARD_MAX_VUS, Number(flags['max-vus']));
  if (maxVus > vuCap) throw new UsageError(`the scenarios need ${maxVus} VUs; the cap is ${vuCap} (--max-vus, at most ${HARD_MAX_VUS})`);
  const soakMs = flags['soak-duration'] ? parseDuration(flags['soak-duration']) + 120_000 : 0;
  const maxDurationMs = Math.min(HARD_MAX_DURATION_MS, Math.max(parseDuration(flags['max-duration']!), soakMs));
  const testMs = testDurationMs(options);
  if (testMs > maxDurationMs) throw new UsageError(`the scenarios last ${formatDuration(testMs)}, over --max-duration ${formatDuration(maxDurationMs)}`);

  const generators = Math.max(1, Math.min(16, Number(flags.generators ?? Math.min(4, Math.ceil(maxVus / 2500)))));
  const name = flags.name ?? (source.file ? basename(source.file).replace(/\.js$/, '') : presetName!);
  const stamp = new Date().toISOString().replace(/[:T]/g, '-').slice(0, 19);
  const loadtestRoot = resolve(__dirname, '../../..');
  const prefix = flags.out ? resolve(flags.out) : resolve(loadtestRoot, 'out', `${name}-${stamp}`);
  const watches = (flags.watch ?? []).map(parseWatch);
  const basePlan = {
    source,
    overrides,
    options,
    generators,
    setupConcurrency: Number(flags['setup-concurrency']),
    maxDurationMs,
    watches,
    note: flags.note,
    quiet: flags.quiet!,
  };

  const runBaseline = async (): Promise<Summary> => {
    const baseline = await startBaselineProcess(options.backend!);
    try {
      if (!flags.quiet) log(`baseline server on ${baseline.url} (ttft ${options.backend!.ttftMs} ms, ${options.backend!.tokensPerSecond} tokens/s)`);
      const watches = [...basePlan.watches.filter((watch) => watch.comm || watch.cmd), { label: 'baseline-server', pid: baseline.child.pid! }];
      return await runOnce({ ...basePlan, watches, name: `${name}-baseline`, kind: 'baseline', url: baseline.url });
    } finally {
      baseline.child.kill('SIGTERM');
    }
  };

  if (flags.baseline) {
    const summary = await runBaseline();
    writeOutputs(prefix, summary, flags.quiet!);
    return summary.thresholdsOk ? 0 : EXIT_THRESHOLDS_FAILED;
  }
  const url = checkTarget(flags.url!);
  await checkReady(url, 'the runtime');
  let baselineSummary: Summary | null = null;
  let baselineFile: string | undefined;
  if (flags['with-baseline']) {
    baselineSummary = await runBaseline();
    writeOutputs(`${prefix}-baseline`, baselineSummary, flags.quiet!);
    baselineFile = `${basename(prefix)}-baseline.json`;
  } else if (flags.compare) {
    baselineSummary = JSON.parse(readFileSync(flags.compare, 'utf8')) as Summary;
    baselineFile = flags.compare;
  }
  const serverStats = { redis: flags['redis-stats'], postgres: flags['pg-stats'] };
  const admission = flags.admission ? { url: flags.admission, operatorKey: operatorKey(flags['operator-key-file']) } : undefined;
  const summary = await runOnce({ ...basePlan, serverStats, admission, name, kind: 'runtime', url });
  if (baselineSummary) summary.comparison = compareWithBaseline(summary, baselineSummary, baselineFile);
  writeOutputs(prefix, summary, flags.quiet!);
  return summary.thresholdsOk ? 0 : EXIT_THRESHOLDS_FAILED;
}

class UsageError extends Error {}

/** --admission's key: a file (loadtest/stack.sh writes one, mode 0600) or the environment, never a flag's value. */
function operatorKey(file: string | undefined): string {
  let key = process.env.LOADTEST_OPERATOR_KEY;
  if (file) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`cannot read --operator-key-file ${file} (${(error as Error).message}); start the stack with loadtest/stack.sh start, which writes it`);
    }
  }
  if (!key) throw new UsageError('--admission needs an operator API key: --operator-key-file FILE or LOADTEST_OPERATOR_KEY (node dist/apps/cli/main.js accounts create NAME --operator prints one)');
  return key;
}

if (require.main === module) {
  main(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((error: Error) => {
      log(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `loadtest failed: ${error.stack ?? error.message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    });
}
