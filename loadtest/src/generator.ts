// One load-generator process (forked by the coordinator). It owns every VU whose index ≡ its own index modulo the
// generator count, and every arrival-rate iteration k ≡ its index: the generators split one schedule without
// talking to each other. It reports interval metrics every second and watches its own event loop.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { IntervalRecorder } from './metrics';
import { gracefulStopMs, parseDuration, scenarioDurationMs, scenarioMaxVus, type Options, type RampingVusScenario, type Scenario } from './options';
import { loadOptions, type OptionOverrides, type ScenarioSource } from './scenario-source';
import { ArrivalSchedule, localShare, targetVus } from './schedule';
import { createAccount, VirtualUser, type Account, type TurnContext } from './vu';

export interface GeneratorConfig {
  index: number;
  count: number;
  url: string;
  personaId: string;
  source: ScenarioSource;
  overrides: OptionOverrides;
  /** REST calls in flight at once while creating accounts. */
  setupConcurrency: number;
  /** Hard bound on the test's length (ms after start) whatever the scenarios say. */
  hardStopMs: number;
}

export type ToGenerator = { type: 'init'; config: GeneratorConfig } | { type: 'start'; startEpochMs: number } | { type: 'stop'; reason: string };
export type FromGenerator =
  | { type: 'setup-progress'; generator: number; done: number; total: number; failed: number }
  | { type: 'ready'; generator: number; accounts: number }
  | { type: 'snapshot'; snapshot: import('./metrics').IntervalSnapshot }
  | { type: 'log'; generator: number; message: string }
  | { type: 'finished'; generator: number };

const send = (message: FromGenerator) => process.send?.(message);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs tasks with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

class Generator {
  private readonly recorder = new IntervalRecorder();
  private readonly options: Options;
  private readonly accounts = new Map<string, (Account | null)[]>();
  private readonly active = new Set<VirtualUser>();
  private startPerf = 0;
  private stopping = false;
  private inFlight = 0;
  private turnsLeft: number;
  private tick = 0;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  private readonly wakeups = new Set<() => void>();
  private readonly context: TurnContext;

  constructor(private readonly config: GeneratorConfig) {
    this.options = loadOptions(config.source, config.overrides);
    this.turnsLeft = this.options.maxTurns === undefined ? Infinity : Math.ceil(this.options.maxTurns / config.count);
    this.context = {
      url: config.url,
      recorder: this.recorder,
      backendTtftMs: this.options.backend!.ttftMs,
      slo: this.options.slo ?? {},
      checks: this.options.checks ?? {},
      turnTimeoutMs: parseDuration(this.options.turnTimeout ?? '60s'),
      message: this.options.message!,
      onSettled: () => this.inFlight--,
    };
  }

  /** Accounts and conversations for every VU this generator may ever run, before the clock starts. */
  async setup(): Promise<void> {
    const jobs: { scenario: string; slot: number; vu: number }[] = [];
    for (const [name, scenario] of Object.entries(this.options.scenarios)) {
      const count = localShare(scenarioMaxVus(scenario), this.config.index, this.config.count);
      this.accounts.set(name, new Array(count).fill(null));
      for (let slot = 0; slot < count; slot++) jobs.push({ scenario: name, slot, vu: slot * this.config.count + this.config.index });
    }
    let done = 0;
    let failed = 0;
    let lastReport = 0;
    await pool(jobs, this.config.setupConcurrency, async (job) => {
      const startedAt = performance.now();
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          const account = await createAccount(this.config.url, this.config.personaId, `loadtest ${job.scenario} ${job.vu}`);
          this.accounts.get(job.scenario)![job.slot] = account;
          this.recorder.trend('setup_time', performance.now() - startedAt);
          break;
        } catch (error) {
          if (attempt === 3) {
            failed++;
            this.recorder.add('setup_errors');
            if (failed <= 3) send({ type: 'log', generator: this.config.index, message: `account setup failed: ${(error as Error).message}` });
          } else await sleep(250 * attempt);
        }
      }
      done++;
      if (performance.now() - lastReport > 1000) {
        lastReport = performance.now();
        send({ type: 'setup-progress', generator: this.config.index, done, total: jobs.length, failed });
      }
    });
    send({ type: 'setup-progress', generator: this.config.index, done, total: jobs.length, failed });
    send({ type: 'ready', generator: this.config.index, accounts: done - failed });
  }

  async run(startEpochMs: number): Promise<void> {
    this.startPerf = performance.now() + (startEpochMs - Date.now());
    await sleep(Math.max(0, this.startPerf - performance.now()));
    this.loopDelay.enable();
    const reporter = setInterval(() => this.report(), 1000);
    const hardStop = setTimeout(() => this.stop(), this.config.hardStopMs);
    await Promise.all(Object.entries(this.options.scenarios).map(([name, scenario]) => this.runScenario(name, scenario)));
    clearTimeout(hardStop);
    clearInterval(reporter);
    this.report();
    send({ type: 'finished', generator: this.config.index });
  }

  stop(): void {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
  }

  private now(): number {
    return performance.now() - this.startPerf;
  }

  /** Sleeps, but wakes early when the run is stopped. */
  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.wakeups.add(wake);
    });
  }

  private report(): void {
    this.tick = Math.max(this.tick + 1, Math.round(this.now() / 1000));
    const cpu = process.cpuUsage(this.lastCpu);
    const at = performance.now();
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / Math.max(1, at - this.lastCpuAt)) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = at;
    const health = {
      eventLoopP99Ms: this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0,
      eventLoopMaxMs: this.loopDelay.count > 0 ? this.loopDelay.max / 1e6 : 0,
      eventLoopMeanMs: this.loopDelay.count > 0 ? this.loopDelay.mean / 1e6 : 0,
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      rssMb: Math.round(process.memoryUsage.rss() / 1048576),
    };
    this.loopDelay.reset();
    let connections = 0;
    for (const vu of this.active) if (vu.connected) connections++;
    send({ type: 'snapshot', snapshot: this.recorder.snapshot(this.config.index, this.tick, { vus: this.active.size, connections, inFlight: this.inFlight }, health) });
  }

  private async runScenario(name: string, scenario: Scenario): Promise<void> {
    const offsetMs = parseDuration(scenario.startTime ?? '0s');
    await this.nap(offsetMs - this.now());
    if (this.stopping) return;
    const accounts = this.accounts.get(name)!;
    const durationMs = scenarioDurationMs(scenario);
    const endsAt = offsetMs + durationMs;
    const graceMs = gracefulStopMs(scenario);
    if (scenario.executor === 'constant-vus' || scenario.executor === 'ramping-vus') await this.runVuExecutor(scenario, accounts, offsetMs, endsAt, graceMs);
    else await this.runArrivalExecutor(scenario, accounts, offsetMs, endsAt, graceMs);
  }

  private makeVu(accounts: (Account | null)[], slot: number): VirtualUser | null {
    const account = accounts[slot];
    return account ? new VirtualUser(slot * this.config.count + this.config.index, account, this.context) : null;
  }

  // Closed loop: each VU sends a turn, waits for it to finish, thinks, repeats. The VU count follows the stages.
  private async runVuExecutor(scenario: Scenario, accounts: (Account | null)[], offsetMs: number, endsAt: number, graceMs: number): Promise<void> {
    const think = this.options.thinkTimeMs!;
    const jitter = this.options.startJitter ?? true;
    const rampDownMs = scenario.executor === 'ramping-vus' ? parseDuration((scenario as RampingVusScenario).gracefulRampDown ?? '30s') : graceMs;
    const running: { vu: VirtualUser; retire: () => void; done: Promise<void> }[] = [];
    const slotsInUse = new Set<number>();
    const thinkMs = () => think.min + Math.random() * Math.max(0, think.max - think.min);

    const startVu = (slot: number) => {
      const vu = this.makeVu(accounts, slot);
      if (!vu) return;
      slotsInUse.add(slot);
      let retired = false;
      let wakeFromThink: (() => void) | null = null;
      const entry = {
        vu,
        retire: () => {
          retired = true;
          wakeFromThink?.();
        },
        done: (async () => {
          this.active.add(vu);
          const pause = (ms: number) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                wakeFromThink = null;
                resolve();
              }, ms);
              wakeFromThink = () => {
                clearTimeout(timer);
                wakeFromThink = null;
                resolve();
              };
            });
          try {
            // An agent connects as it arrives, then thinks before its first message (spreads the first turns out).
            if (await vu.connect()) {
              if (jitter) await pause(Math.random() * think.max);
            }
            while (!retired && !this.stopping && this.now() < endsAt) {
              if (!vu.connected && !(await vu.connect())) {
                await pause(1000);
                continue;
              }
              if (retired || this.stopping || this.now() >= endsAt) break;
              if (this.turnsLeft <= 0) break;
              this.turnsLeft--;
              this.inFlight++;
              await vu.sendTurn(performance.now());
              if (!retired && !this.stopping) await pause(thinkMs());
            }
          } finally {
            vu.disconnect();
            this.active.delete(vu);
            slotsInUse.delete(slot);
          }
        })(),
      };
      running.push(entry);
    };

    // Ramp-down: the newest VUs retire first; one that is mid-turn finishes it, within gracefulRampDown.
    const retireOne = () => {
      const entry = running.pop();
      if (!entry) return;
      entry.retire();
      const forced = setTimeout(() => entry.vu.disconnect(), rampDownMs);
      void entry.done.finally(() => clearTimeout(forced));
    };

    const usable = accounts.filter(Boolean).length;
    while (!this.stopping && this.now() < endsAt) {
      const target = Math.min(usable, localShare(targetVus(scenario, this.now() - offsetMs), this.config.index, this.config.count));
      // Connect new VUs at most 200 per 100 ms so a big step does not become one burst of handshakes.
      let started = 0;
      for (let slot = 0; slot < accounts.length && running.length < target && started < 200; slot++) {
        if (slotsInUse.has(slot) || !accounts[slot]) continue;
        startVu(slot);
        started++;
      }
      while (running.length > target) retireOne();
      await this.nap(100);
    }
    // The scenario is over: no new turns; in-flight ones get gracefulStop, then they are interrupted.
    for (const entry of running) entry.retire();
    const forced = setTimeout(() => running.forEach((entry) => entry.vu.disconnect()), graceMs);
    await Promise.all(running.map((entry) => entry.done));
    clearTimeout(forced);
  }

  // Open loop: iteration k is due at schedule.dueAt(k) and is sent then, whatever earlier turns are doing. It goes to
  // an idle VU, or to a new VU while under maxVUs. A conversation holds one turn at a time (the runtime answers a
  // second with TURN_IN_PROGRESS), so when every VU is busy and maxVUs is reached the turn cannot be sent: it counts
  // as a failed turn (DROPPED_NO_VU) and in dropped_turns, never silently skipped. Latency runs from the due time.
  private async runArrivalExecutor(scenario: Scenario, accounts: (Account | null)[], offsetMs: number, endsAt: number, graceMs: number): Promise<void> {
    const schedule = new ArrivalSchedule(scenario);
    const preAllocated = 'preAllocatedVUs' in scenario ? localShare(scenario.preAllocatedVUs, this.config.index, this.config.count) : 0;
    const vus: VirtualUser[] = [];
    const idle: VirtualUser[] = [];
    const isIdle = new WeakSet<VirtualUser>();
    const pending = new Set<Promise<void>>();
    const limit = this.options.maxInFlight ?? Infinity;

    let nextSlot = 0;
    const addVu = async (): Promise<VirtualUser | null> => {
      while (nextSlot < accounts.length) {
        const vu = this.makeVu(accounts, nextSlot++);
        if (!vu) continue; // its account could not be created
        vus.push(vu);
        this.active.add(vu);
        await vu.connect();
        return vu;
      }
      return null;
    };
    await pool(
      Array.from({ length: preAllocated }, (_, index) => index),
      200,
      async () => {
        const vu = await addVu();
        if (vu) {
          idle.push(vu);
          isIdle.add(vu);
        }
      },
    );

    const dispatch = (dueAtMs: number) => {
      const due = this.startPerf + dueAtMs;
      if (this.turnsLeft <= 0) return;
      if (this.inFlight >= limit || (idle.length === 0 && nextSlot >= accounts.length)) {
        this.recorder.add('dropped_turns');
        this.recorder.add('turns');
        this.recorder.error(this.inFlight >= limit ? 'DROPPED_IN_FLIGHT_LIMIT' : 'DROPPED_NO_VU');
        this.recorder.rate('turn_errors', true);
        this.recorder.rate('goodput', false);
        return;
      }
      this.turnsLeft--;
      this.inFlight++;
      const run = async () => {
        let vu = idle.pop() ?? null;
        if (vu) isIdle.delete(vu);
        else vu = await addVu();
        if (!vu) {
          this.recorder.add('turns');
          this.recorder.error('NO_VU');
          this.recorder.rate('turn_errors', true);
          this.recorder.rate('goodput', false);
          this.inFlight--;
          return;
        }
        if (!vu.connected) await vu.connect();
        await vu.sendTurn(due);
        if (vu.inFlight === 0 && !isIdle.has(vu)) {
          idle.push(vu);
          isIdle.add(vu);
        }
      };
      const turn: Promise<void> = run().finally(() => pending.delete(turn));
      pending.add(turn);
    };

    let sinceYield = 0;
    for (let k = this.config.index; !this.stopping; k += this.config.count) {
      const dueIn = schedule.dueAt(k);
      if (dueIn === null) break;
      const dueAtMs = offsetMs + dueIn;
      if (dueAtMs >= endsAt) break;
      const wait = dueAtMs - this.now();
      if (wait > 1) await this.nap(wait);
      if (this.stopping) break;
      dispatch(dueAtMs);
      // Catching up on a backlog of due turns must not starve the sockets' I/O.
      if (++sinceYield >= 50) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const forced = setTimeout(() => vus.forEach((vu) => vu.disconnect()), graceMs);
    await Promise.all([...pending]);
    clearTimeout(forced);
    for (const vu of vus) {
      vu.disconnect();
      this.active.delete(vu);
    }
  }
}

let generator: Generator | null = null;
process.on('message', (message: ToGenerator) => {
  if (message.type === 'init') {
    generator = new Generator(message.config);
    generator.setup().catch((error: Error) => {
      send({ type: 'log', generator: message.config.index, message: `setup failed: ${error.stack}` });
      process.exit(1);
    });
  } else if (message.type === 'start') {
    generator!
      .run(message.startEpochMs)
      .then(() => setTimeout(() => process.exit(0), 100))
      .catch((error: Error) => {
        send({ type: 'log', generator: -1, message: `generator failed: ${error.stack}` });
        process.exit(1);
      });
  } else if (message.type === 'stop') {
    generator?.stop();
  }
});
process.on('disconnect', () => process.exit(0));
