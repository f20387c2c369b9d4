// The runtime's admission control during a run, read once a second from the gateway (GET /operator/admission, an
// operator key; no database read there): its limit, the turns in flight, what it reckons the recent throughput
// serves, and its refusals. Beside the harness's own per-second series, a dip in ok turns can then be read against
// what admission did in that second, without patching the gateway to trace it.

export interface AdmissionSample {
  limit: number;
  inFlight: number;
  /** Turns in flight the recent throughput serves within the target wait (null until the gateway has measured it). */
  served: number | null;
  /** Turns the gateway refused with OVERLOADED since the previous sample. */
  refused: number;
}

export interface AdmissionSummary {
  samples: number;
  limit: { min: number; median: number; max: number };
  inFlight: { median: number; max: number };
  /** Seconds in which the gateway refused at least one turn. */
  refusingSeconds: number;
  /** Turns the gateway says it refused over the samples (the harness counts its OVERLOADED acks separately). */
  refused: number;
  /** Reads that failed (each says why), at most the first five. */
  errors: string[];
}

interface GatewayState {
  limit: number;
  inFlight: number;
  served: number | null;
  turnsRefused: number;
}

const READ_TIMEOUT_MS = 900;

export class AdmissionSampler {
  private latest: GatewayState | null = null;
  private previousRefused: number | null = null;
  private reading = false;
  private readonly samples: AdmissionSample[] = [];
  private readonly errors: string[] = [];
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly operatorKey: string,
  ) {}

  /**
   * The state read since the last call (null if none finished), and a new read started. Called once a second, so a
   * sample describes the second before the call; a read slower than that is not queued behind.
   */
  sample(): AdmissionSample | null {
    const state = this.latest;
    this.latest = null;
    if (!this.reading) {
      this.reading = true;
      void this.read().finally(() => (this.reading = false));
    }
    if (!state) return null;
    const refused = this.previousRefused === null ? 0 : Math.max(0, state.turnsRefused - this.previousRefused);
    this.previousRefused = state.turnsRefused;
    const sample = { limit: state.limit, inFlight: state.inFlight, served: state.served, refused };
    this.samples.push(sample);
    return sample;
  }

  summary(): AdmissionSummary | null {
    if (this.samples.length === 0 && this.failures === 0) return null;
    const limits = this.samples.map((sample) => sample.limit).sort((a, b) => a - b);
    const inFlight = this.samples.map((sample) => sample.inFlight).sort((a, b) => a - b);
    return {
      samples: this.samples.length,
      limit: { min: limits[0] ?? 0, median: middle(limits), max: limits[limits.length - 1] ?? 0 },
      inFlight: { median: middle(inFlight), max: inFlight[inFlight.length - 1] ?? 0 },
      refusingSeconds: this.samples.filter((sample) => sample.refused > 0).length,
      refused: this.samples.reduce((sum, sample) => sum + sample.refused, 0),
      errors: this.failures > this.errors.length ? [...this.errors, `… ${this.failures} failed reads in all`] : [...this.errors],
    };
  }

  private async read(): Promise<void> {
    try {
      const response = await fetch(this.url, {
        headers: { authorization: `Bearer ${this.operatorKey}` },
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status} (an operator key is needed: LOADTEST_OPERATOR_KEY)`);
      const body = (await response.json()) as Partial<GatewayState>;
      if (typeof body.limit !== 'number' || typeof body.inFlight !== 'number' || typeof body.turnsRefused !== 'number') {
        throw new Error('the answer is not an admission state (is --admission the gateway’s /operator/admission?)');
      }
      this.latest = { limit: body.limit, inFlight: body.inFlight, served: body.served ?? null, turnsRefused: body.turnsRefused };
    } catch (error) {
      this.failures++;
      if (this.errors.length < 5) this.errors.push((error as Error).message);
    }
  }
}

function middle(sorted: number[]): number {
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}
