import { describe, expect, it } from 'vitest';
import { addMonths, estimateReturn, monthlyRevenueFrom, powerCostPerMonth, type OperatorInputs } from './return-estimate';

const inputs: OperatorInputs = {
  hardwareCost: 3000,
  depreciationMonths: 36,
  powerWatts: 400,
  pricePerKwh: 0.25,
  hostingPerMonth: 50,
  revenuePerMonth: 400,
  startDate: new Date('2026-01-01T00:00:00Z'),
};

describe('return estimate', () => {
  it('prices power by the month: 400 W at 0.25 a kWh is 73.05 a month', () => {
    expect(powerCostPerMonth(400, 0.25)).toBeCloseTo(73.05, 10);
  });

  it('nets revenue against power, hosting and depreciation, and finds the break-even date', () => {
    const { current } = estimateReturn(inputs);
    expect(current.operatingCostPerMonth).toBeCloseTo(123.05, 10);
    expect(current.depreciationPerMonth).toBeCloseTo(83.333333, 5);
    expect(current.cashPerMonth).toBeCloseTo(276.95, 10);
    expect(current.netPerMonth).toBeCloseTo(276.95 - 83.333333, 5);
    expect(current.breakEvenMonths).toBeCloseTo(3000 / 276.95, 10);
    expect(current.breakEvenDate!.toISOString().slice(0, 10)).toBe(addMonths(inputs.startDate, 3000 / 276.95).toISOString().slice(0, 10));
    expect(current.breakEvenDate!.toISOString().slice(0, 10)).toBe('2026-11-26');
    expect(current.paysBackWithinDepreciation).toBe(true);
  });

  it('shows the downside when demand halves: revenue halves, costs stay', () => {
    const { current, halfDemand } = estimateReturn(inputs);
    expect(halfDemand.revenuePerMonth).toBe(200);
    expect(halfDemand.operatingCostPerMonth).toBe(current.operatingCostPerMonth);
    expect(halfDemand.cashPerMonth).toBeCloseTo(76.95, 10);
    expect(halfDemand.breakEvenMonths).toBeCloseTo(3000 / 76.95, 10);
    // 39 months: past the 36-month write-off, so at half demand the node never pays for itself.
    expect(halfDemand.paysBackWithinDepreciation).toBe(false);
    expect(halfDemand.netPerMonth).toBeLessThan(0);
  });

  it('never breaks even when running costs eat the revenue', () => {
    const { current } = estimateReturn({ ...inputs, revenuePerMonth: 100 });
    expect(current.cashPerMonth).toBeLessThan(0);
    expect(current.breakEvenMonths).toBeNull();
    expect(current.breakEvenDate).toBeNull();
    expect(current.paysBackWithinDepreciation).toBe(false);
  });

  it('refuses negative or non-finite inputs', () => {
    expect(() => estimateReturn({ ...inputs, powerWatts: -1 })).toThrow(/powerWatts/);
    expect(() => estimateReturn({ ...inputs, hardwareCost: Number.NaN })).toThrow(/hardwareCost/);
  });

  it('turns a window of earnings into a month of revenue', () => {
    expect(monthlyRevenueFrom(70, 7)).toBeCloseTo(304.375, 10);
    expect(monthlyRevenueFrom(70, 0)).toBe(0);
  });
});
