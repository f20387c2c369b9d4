import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from './admission-control';

describe('AdmissionControl', () => {
  let clock = 0;
  let control: AdmissionControl;
  const make = (maxTurnsInFlight = 10_000) =>
    (control = new AdmissionControl({ targetStartMs: 100, maxTurnsInFlight, maxLoopDelayMs: 10_000, windowMs: 60_000 }, () => clock));
  const fill = (count: number, from = 0) => {
    for (let index = from; index < from + count; index++) control.accepted(`turn-${index}`);
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

  it('cuts the limit below what is in flight when turns wait longer than the target to start', () => {
    make();
    fill(100);
    for (let index = 0; index < 100; index++) {
      clock += 5;
      control.started(`turn-${index}`);
    }
    // 100 turns accepted at clock 0 and started 5–500 ms later: p90 far above the 100 ms target.
    control.adjust();
    expect(control.state.limit).toBe(80);
    expect(control.admitTurn().admitted).toBe(false);
  });

  it('raises the limit while turns start in time and the gateway uses most of it', () => {
    make();
    const initial = control.state.limit;
    fill(initial);
    for (let index = 0; index < initial; index++) control.started(`turn-${index}`);
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
