// CPU of the processes under test, read from /proc once a second (Linux): the evidence for "who is the bottleneck".
// A watch is `label=PID`, `label=tree:PID` (the process and all its descendants, e.g. a private PostgreSQL's
// postmaster and its backends), `label=comm:NAME` (every process with that name) or `label=cmd:TEXT` (every process
// whose command line contains TEXT).
import { readdirSync, readFileSync } from 'node:fs';

export interface Watch {
  label: string;
  pid?: number;
  tree?: number;
  comm?: string;
  cmd?: string;
}

export function parseWatch(spec: string): Watch {
  const index = spec.indexOf('=');
  if (index <= 0) throw new Error(`--watch "${spec}" must be label=PID, label=tree:PID, label=comm:NAME or label=cmd:TEXT`);
  const label = spec.slice(0, index);
  const target = spec.slice(index + 1);
  if (/^\d+$/.test(target)) return { label, pid: Number(target) };
  if (/^tree:\d+$/.test(target)) return { label, tree: Number(target.slice(5)) };
  if (target.startsWith('comm:')) return { label, comm: target.slice(5) };
  if (target.startsWith('cmd:')) return { label, cmd: target.slice(4) };
  throw new Error(`--watch "${spec}": expected a PID, tree:PID, comm:NAME or cmd:TEXT`);
}

const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number | null {
  return statTicks(pid, 11, 12);
}

/** cutime + cstime: the CPU of the process's children that ended and were waited for. */
function reapedTicks(pid: number): number | null {
  return statTicks(pid, 13, 14);
}

function statTicks(pid: number, first: number, second: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[first]) + Number(fields[second]);
  } catch {
    return null;
  }
}

function parentPid(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentPid(entry);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const pids = [root];
  for (let index = 0; index < pids.length; index++) pids.push(...(children.get(pids[index]!) ?? []));
  return pids;
}

function matchingPids(watch: Watch): number[] {
  if (watch.pid !== undefined) return [watch.pid];
  if (watch.tree !== undefined) return descendantsOf(watch.tree);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (watch.comm !== undefined && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === watch.comm) pids.push(Number(entry));
      if (watch.cmd !== undefined && readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(watch.cmd)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function systemTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = line.reduce((sum, value) => sum + value, 0);
    const idle = (line[3] ?? 0) + (line[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Samples every watch (and the whole machine as "system", in % of one core × cores) each call. */
export class CpuSampler {
  private last = new Map<string, Map<number, number>>();
  private lastReaped = new Map<string, number>();
  /** Ticks of ended children counted while they ran whose reaped CPU has not reached the root yet, per watch. */
  private owedReaped = new Map<string, number>();
  private lastSystem = systemTicks();
  private lastAt = Date.now();
  private pidsByLabel = new Map<string, number[]>();
  private refreshes = 0;
  private readonly cores = Math.max(1, (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length);

  constructor(private readonly watches: Watch[]) {}

  /** CPU % since the previous call, per label (100 = one core busy). */
  sample(): Record<string, number> {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    this.lastAt = now;
    // Process names are re-resolved every 5 s (postgres forks backends as connections come).
    if (this.refreshes++ % 5 === 0) for (const watch of this.watches) this.pidsByLabel.set(watch.label, matchingPids(watch));
    const result: Record<string, number> = {};
    for (const watch of this.watches) {
      const previous = this.last.get(watch.label) ?? new Map<number, number>();
      const current = new Map<number, number>();
      let used = 0;
      const firstSample = !this.last.has(watch.label);
      for (const pid of this.pidsByLabel.get(watch.label) ?? []) {
        const ticks = cpuTicks(pid);
        if (ticks === null) continue;
        current.set(pid, ticks);
        // A process first found after the first sample started since (a new PostgreSQL backend): all its CPU counts,
        // in the second it is found (so a tree's per-second series is lumpier than its averages, which are exact).
        const before = previous.get(pid) ?? (firstSample ? undefined : 0);
        if (before !== undefined) used += ticks - before;
      }
      if (watch.tree !== undefined) used += this.endedChildrenTicks(watch, previous, current);
      this.last.set(watch.label, current);
      result[watch.label] = Math.round((used / TICKS_PER_SECOND / seconds) * 1000) / 10;
    }
    const system = systemTicks();
    if (system && this.lastSystem && system.total > this.lastSystem.total) {
      result.system = Math.round(((system.busy - this.lastSystem.busy) / (system.total - this.lastSystem.total)) * this.cores * 1000) / 10;
    }
    this.lastSystem = system;
    return result;
  }

  /**
   * The CPU of a tree's processes that ended since the last sample and were not counted yet: when a child ends, its
   * whole CPU moves into the root's reaped figures, of which the part seen while it ran was counted already. Short
   * connections' PostgreSQL backends live there: without this a pool that reopens connections looked cheaper.
   * A child can also end and be reaped after it was read but before the root's figures are (it is then counted
   * while running and reaped in the same sample, and only missed from the list in the next): what was counted of it
   * stays owed against later reaped CPU, so it is never counted twice.
   * (Exact for the root's own children, which is what a PostgreSQL tree is.)
   */
  private endedChildrenTicks(watch: Watch, previous: Map<number, number>, current: Map<number, number>): number {
    const reaped = reapedTicks(watch.tree!);
    if (reaped === null) return 0;
    const before = this.lastReaped.get(watch.label);
    this.lastReaped.set(watch.label, reaped);
    let owed = this.owedReaped.get(watch.label) ?? 0;
    for (const [pid, ticks] of previous) if (!current.has(pid)) owed += ticks;
    const uncounted = before === undefined ? 0 : reaped - before - owed;
    this.owedReaped.set(watch.label, uncounted < 0 ? -uncounted : 0);
    return Math.max(0, uncounted);
  }
}
