// CPU the run does not account for: the whole machine's busy time minus the processes under test (--watch) and the
// generators. On a shared two-core machine another process's burst (a build, a monitoring loop, the kernel's own
// reclaim) looks to the target like overload: refusals and a slow tail that are not the target's. A second with a lot
// of it is reported, so such a run is not taken for the target's result.

/** Outside CPU above this (percent of one core) in a second makes that second suspect. */
export const OUTSIDE_WARN_PERCENT = 50;

export interface OutsideCpu {
  /** Seconds above OUTSIDE_WARN_PERCENT. */
  seconds: number;
  /** Seconds compared (those with a machine sample and at least one watched process). */
  of: number;
  worstPercent: number;
  worstAtS: number;
}

/**
 * `cpuSeries`: the sampler's seconds (`system` is the whole machine, every other label a watched process), and
 * `generatorCpu`: the generators' CPU by second. Null when nothing is watched (then everything but the generators is
 * "outside", the target included).
 */
export function outsideCpu(cpuSeries: { t: number; cpu: Record<string, number> }[], generatorCpu: Map<number, number>): OutsideCpu | null {
  let seconds = 0;
  let of = 0;
  let worstPercent = 0;
  let worstAtS = 0;
  for (const { t, cpu } of cpuSeries) {
    const labels = Object.keys(cpu).filter((label) => label !== 'system');
    if (cpu.system === undefined || labels.length === 0) continue;
    of++;
    const watched = labels.reduce((sum, label) => sum + cpu[label]!, 0);
    const outside = cpu.system - watched - (generatorCpu.get(t) ?? 0);
    if (outside > OUTSIDE_WARN_PERCENT) seconds++;
    if (outside > worstPercent) {
      worstPercent = outside;
      worstAtS = t;
    }
  }
  return of === 0 ? null : { seconds, of, worstPercent: Math.round(worstPercent), worstAtS };
}
