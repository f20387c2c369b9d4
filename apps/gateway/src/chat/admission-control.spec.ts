import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from './admission-control';

describe('AdmissionControl', () => {
  let clock = 0;
  let control: AdmissionControl;
  const make = (maxTurnsInFlight = 10_000) =>
    (control = new AdmissionControl({ targetStartMs: 100, maxTurnsInFlight, maxLoopDelayMs: 10_000, windowMs: 60_000 }, () => clock));
  /** Windows of 500 ms, as a gateway runs: the service rate is then measured over 2 s (or longer, at low rates). */
  const makeWithHalfSecondWindows = () =>
    (control = new AdmissionControl({ targetStartMs: 100, maxTurnsInFlight: 10_000, maxLoopDelayMs: 10_000, windowMs: 500 }, () => clock));
  /** Admits a turn and stores it at once (an instant intake). */
  const admit = (turnId: string, modelId = 'model-a') => {
    const admitted = control.admitTurn();
    if (!admitted.admitted) throw new Error(`${turnId} refused: ${admitted.reason}`);
    control.accepted(turnId, modelId, admitted);
  };
  const fill = (count: number, from = 0, modelId = 'model-a') => {
    for (let index = from; index < from + count; index++) admit(`turn-${index}`, modelId);
  };
  const firstOutputs = (count: number, from = 0) => {
    for (let index = from; index < from + count; index++) control.firstOutput(`turn-${index}`);
  };
  const finish = (count: number, from = 0) => {
    for (let index = from; index < from + count; index++) control.finished(`turn-${index}`);
  };
  /**
   * A controller that has seen 20 turns finish (first token after 5 ms, done after 400), so that it knows a
   * throughput: it cuts only then.
   */
  const makeMeasured = () => {
    make();
    const ids = Array.from({ length: 20 }, (_, index) => `seen-${index}`);
    for (const id of ids) admit(id);
    clock += 5;
    for (const id of ids) control.firstOutput(id);
    clock += 395;
    for (const id of ids) control.finished(id);
    control.adjust();
  };

  /**
   * A controller with 500-ms windows that has served four of them steadily: `perWindow` turns each, first token after
   * 100 ms, done after 400.
   */
  const serveSteadily = (perWindow: number) => {
    makeWithHalfSecondWindows();
    serveWindows(4, perWindow, 'w');
  };
  /** `windows` windows of 500 ms with `perWindow` turns each: first token after 100 ms, done after 400. */
  const serveWindows = (windows: number, perWindow: number, prefix: string) => {
    for (let window = 0; window < windows; window++) {
      const ids = Array.from({ length: perWindow }, (_, index) => `${prefix}${window}-${index}`);
      for (const id of ids) admit(id);
      clock += 100;
      for (const id of ids) control.firstOutput(id);
      clock += 300;
      for (const id of ids) control.finished(id);
      clock += 100;
      control.adjust();
    }
  };

  afterEach(() => control.close());

  it('admits turns up to its limit and refuses the next with a retry time, until one finishes', () => {
    make(8);
    fill(8);
    const refused = control.admitTurn();
    expect(refused).toMatchObject({ admitted: false });
    // Jittered, so that agents refused together do not all return together.
    const retries = new Set(Array.from({ length: 50 }, () => (control.admitTurn() as { retryAfterSeconds: number }).retryAfterSeconds));
    expect([...retries].sort()).toEqual([1, 2]);
    control.finished('turn-3');
    expect(control.admitTurn().admitted).toBe(true);
  });

  it('counts turns still in their intake against the limit', () => {
    make(2);
    expect(control.admitTurn().admitted).toBe(true);
    expect(control.admitTurn().admitted).toBe(true);
    expect(control.admitTurn()).toMatchObject({ admitted: false, reason: '2 turns are in flight' });
    // One intake fails (rate limit, access, a duplicate): its place is free again.
    control.withdrawn();
    expect(control.state.inIntake).toBe(1);
    expect(control.admitTurn().admitted).toBe(true);
  });

  it('times a turn from its admission, so a slow intake (a saturated database) is a slow start', () => {
    makeMeasured();
    // Ten turns with an instant intake and a 5-ms first token set the floor.
    fill(10);
    clock += 5;
    for (let index = 0; index < 10; index++) control.firstOutput(`turn-${index}`);
    control.adjust();
    const before = control.state.limit;
    // Ten more whose intake took 500 ms, then the same 5 ms to the first token.
    const admitted = Array.from({ length: 10 }, () => control.admitTurn());
    clock += 500;
    admitted.forEach((turn, index) => {
      if (!turn.admitted) throw new Error('refused');
      control.accepted(`slow-${index}`, 'model-a', turn);
    });
    clock += 5;
    for (let index = 0; index < 10; index++) control.firstOutput(`slow-${index}`);
    control.adjust();
    expect(control.state.limit).toBeLessThan(before);
  });

  it('cuts the limit below what is in flight when turns wait longer than the target for their first token', () => {
    makeMeasured();
    fill(100);
    for (let index = 0; index < 100; index++) {
      clock += 5;
      control.firstOutput(`turn-${index}`);
    }
    // 100 turns accepted at clock 0, first tokens 5–500 ms later: p90 ~445 ms over the floor (5 ms), target 100 ms.
    control.adjust();
    expect(control.state.limit).toBe(80);
    expect(control.admitTurn().admitted).toBe(false);
  });

  it('counts a turn still waiting for its first token past the target as slow, before its token comes', () => {
    makeMeasured();
    fill(100);
    clock += 5;
    for (let index = 0; index < 85; index++) control.firstOutput(`turn-${index}`);
    // 85 turns started at once (floor 5 ms); 15 are still waiting 495 ms over it, past the 100-ms target.
    clock += 495;
    control.adjust();
    expect(control.state.limit).toBe(80);
  });

  it("does not grow the limit past the turns in flight the nodes serve (Little's law on the unloaded turn time)", () => {
    // 50 turns a window of 500 ms, 400 ms each: 100 turns/s served.
    serveSteadily(50);
    // 100 turns/s × (400 ms unloaded + 100 ms target wait) = 50 in flight.
    expect(control.state.served).toBe(50);
    const initial = control.state.limit;
    fill(initial);
    for (let index = 0; index < initial; index++) control.firstOutput(`turn-${index}`);
    control.adjust();
    // Every turn started in time and the limit is in use, but it is past what the nodes were seen to serve.
    expect(control.state.limit).toBe(initial);
  });

  it('cuts no lower than the turns the recent throughput keeps busy with no wait', () => {
    // 60 turns a window of 500 ms, 400 ms each: 120 turns/s served.
    serveSteadily(60);
    // 120 turns/s × 400 ms = 48 turns in flight without waiting.
    expect(control.state.servedUnqueued).toBe(48);
    // A round of 40 turns whose first tokens come 400 ms late: a fifth off 40 would be 32. In this window nothing
    // finished, so the last 2 s served 180 turns, 90/s: 36 busy without waiting, where the cut stops.
    fill(40);
    clock += 500;
    for (let index = 0; index < 40; index++) control.firstOutput(`turn-${index}`);
    control.adjust();
    expect(control.state.servedUnqueued).toBe(36);
    expect(control.state.limit).toBe(36);
  });

  it('does not cut on the first turns after a start, before any turn has finished: that wait is a cold start', () => {
    make();
    const initial = control.state.limit;
    fill(25);
    for (let index = 0; index < 25; index++) {
      clock += 20;
      control.firstOutput(`turn-${index}`);
    }
    // 25 first tokens up to 480 ms over the first one's, target 100 ms; but no turn has finished, so there is no
    // throughput to cut to (cutting here took a gateway from 256 to 8 at the start of a load run).
    control.adjust();
    expect(control.state.servedUnqueued).toBeNull();
    expect(control.state.limit).toBe(initial);
  });

  it('measures a slow throughput over up to a minute, so that a gateway serving two turns a second still cuts', () => {
    makeWithHalfSecondWindows();
    // 40 windows of 500 ms, one turn each: first token after 100 ms, done after 400. Fewer than 20 turns finish in
    // any 2 s.
    for (let window = 0; window < 40; window++) {
      admit(`slow-${window}`);
      clock += 100;
      control.firstOutput(`slow-${window}`);
      clock += 300;
      control.finished(`slow-${window}`);
      clock += 100;
      control.adjust();
    }
    // The last 20 turns took the last 10 s: 2/s × 400 ms = 1 turn busy.
    expect(control.state.servedUnqueued).toBe(1);
    fill(20);
    clock += 500;
    firstOutputs(20);
    control.adjust();
    expect(control.state.limit).toBe(16);
  });

  it("grows by a step right after a cut, then straight to what Little's law serves once the cut is 2 s old", () => {
    // 120 turns/s, then a round of late first tokens cuts the limit to 36 (see the test above).
    serveSteadily(60);
    fill(40);
    clock += 500;
    firstOutputs(40);
    control.adjust();
    expect(control.state.limit).toBe(36);
    // Those 40 finish; 36 new turns take the whole limit and start on time, 900 ms after the cut.
    clock += 300;
    finish(40);
    fill(36, 100);
    clock += 100;
    firstOutputs(36, 100);
    control.adjust();
    // The last 2 s: 160 turns, 80/s, 400 ms each unloaded; with the 100-ms target that serves 40 in flight. But that
    // throughput is partly from before the cut: a step of 5 %, not the jump.
    expect(control.state.served).toBe(40);
    expect(control.state.limit).toBe(38);
    // 2.5 s after the cut those 36 finish (1.7 s each, on time), and 38 more fill the limit and start on time.
    clock += 1600;
    finish(36, 100);
    fill(38, 200);
    clock += 100;
    firstOutputs(38, 200);
    control.adjust();
    // The last 4 windows: 60 + 0 + 40 + 36 = 136 turns in 2 s (68/s), 744 ms each unloaded on average:
    // 68/s × (744 + 100) ms = 58 in flight, where the limit now goes at once.
    expect(control.state.served).toBe(58);
    expect(control.state.limit).toBe(58);
  });

  it('cuts once per round: turns accepted before a cut do not cut again, turns accepted after it may', () => {
    makeMeasured();
    fill(200);
    for (let index = 0; index < 100; index++) {
      clock += 5;
      control.firstOutput(`turn-${index}`);
    }
    control.adjust();
    expect(control.state.limit).toBe(160);
    // The other 100 were accepted before the cut: as slow, but stale news.
    for (let index = 100; index < 200; index++) {
      clock += 5;
      control.firstOutput(`turn-${index}`);
    }
    control.adjust();
    expect(control.state.limit).toBe(160);
    for (let index = 0; index < 200; index++) control.finished(`turn-${index}`);
    // Accepted after the cut and still slow: the next cut.
    fill(150, 200);
    for (let index = 200; index < 350; index++) {
      clock += 5;
      control.firstOutput(`turn-${index}`);
    }
    control.adjust();
    expect(control.state.limit).toBe(120);
  });

  it("measures each model against its own floor: a slow model's usual wait is not overload", () => {
    make();
    const initial = control.state.limit;
    // A fast model answers in ~20 ms, a slow one in ~400 ms; both steadily.
    fill(initial / 2, 0, 'fast');
    fill(initial / 2, initial / 2, 'slow');
    const started = clock;
    for (let index = 0; index < initial / 2; index++) {
      clock = started + 20 + (index % 3);
      control.firstOutput(`turn-${index}`);
    }
    for (let index = initial / 2; index < initial; index++) {
      clock = started + 400 + (index % 3);
      control.firstOutput(`turn-${index}`);
    }
    control.adjust();
    expect(control.state.limit).toBeGreaterThan(initial);
  });

  it('raises the limit while turns start in time and the gateway uses most of it', () => {
    make();
    const initial = control.state.limit;
    fill(initial);
    for (let index = 0; index < initial; index++) control.firstOutput(`turn-${index}`);
    control.adjust();
    expect(control.state.limit).toBeGreaterThan(initial);
    // Idle: no reason to grow.
    for (let index = 0; index < initial; index++) control.finished(`turn-${index}`);
    const grown = control.state.limit;
    control.adjust();
    expect(control.state.limit).toBe(grown);
  });

  it('forgets a turn nobody reported finished after two minutes', () => {
    make(2);
    fill(2);
    expect(control.admitTurn().admitted).toBe(false);
    clock += 121_000;
    control.adjust();
    expect(control.state.inFlight).toBe(0);
    expect(control.admitTurn().admitted).toBe(true);
  });
});
