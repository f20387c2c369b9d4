import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from './admission-control';

describe('AdmissionControl', () => {
  let clock = 0;
  let control: AdmissionControl;
  const make = (maxTurnsInFlight = 10_000) =>
    (control = new AdmissionControl({ targetStartMs: 100, maxTurnsInFlight, maxLoopDelayMs: 10_000, windowMs: 60_000 }, () => clock));
  const fill = (count: number, from = 0, modelId = 'model-a') => {
    for (let index = from; index < from + count; index++) control.accepted(`turn-${index}`, modelId);
  };

  afterEach(() => control.close());

  it('admits turns up to its limit and refuses the next with a retry time, until one finishes', () => {
    make(8);
    fill(8);
    const refused = control.admitTurn();
    expect(refused).toMatchObject({ admitted: false, retryAfterSeconds: 1 });
    control.finished('turn-3');
    expect(control.admitTurn()).toEqual({ admitted: true });
  });

  it('cuts the limit below what is in flight when turns wait longer than the target for their first token', () => {
    make();
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

  it('cuts once per round: turns accepted before a cut do not cut again, turns accepted after it may', () => {
    make();
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
