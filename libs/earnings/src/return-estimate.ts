// What running a node returns, from the operator's own numbers. Pure arithmetic with no imports: the gateway's tests
// and the browser's dashboard both use this file. Money is in the operator's currency; time in months of 30.44 days.
export interface OperatorInputs {
  /** What the hardware cost, paid up front. */
  hardwareCost: number;
  /** Months over which the hardware is written off (it loses value whether or not demand shows up). */
  depreciationMonths: number;
  /** Average draw of the machine, in watts. */
  powerWatts: number;
  /** Price of a kWh. */
  pricePerKwh: number;
  /** Rack, bandwidth, colocation: a month's fixed cost. */
  hostingPerMonth: number;
  /** Earnings at current demand, per month, in the same currency. */
  revenuePerMonth: number;
  /** When the hardware was bought (break-even is counted from here). */
  startDate: Date;
}

export interface ReturnScenario {
  revenuePerMonth: number;
  /** Power and hosting: the cash that leaves every month. */
  operatingCostPerMonth: number;
  depreciationPerMonth: number;
  /** Revenue less operating cost and depreciation: what the node really makes (or loses) a month. */
  netPerMonth: number;
  /** Revenue less operating cost: what pays the hardware back. */
  cashPerMonth: number;
  /** Months until the cash earned equals the hardware cost; null when cash per month is not positive. */
  breakEvenMonths: number | null;
  breakEvenDate: Date | null;
  /** True when the hardware pays for itself before it is written off. */
  paysBackWithinDepreciation: boolean;
}

export interface ReturnEstimate {
  current: ReturnScenario;
  /** The same node when demand halves: revenue halves, costs do not. */
  halfDemand: ReturnScenario;
}

export const HOURS_PER_MONTH = 730.5;
const DAYS_PER_MONTH = 30.4375;

export function powerCostPerMonth(powerWatts: number, pricePerKwh: number): number {
  return (powerWatts / 1000) * HOURS_PER_MONTH * pricePerKwh;
}

export function addMonths(start: Date, months: number): Date {
  return new Date(start.getTime() + months * DAYS_PER_MONTH * 86_400_000);
}

export function scenario(inputs: OperatorInputs, revenuePerMonth: number): ReturnScenario {
  const operatingCostPerMonth = powerCostPerMonth(inputs.powerWatts, inputs.pricePerKwh) + inputs.hostingPerMonth;
  const depreciationPerMonth = inputs.depreciationMonths > 0 ? inputs.hardwareCost / inputs.depreciationMonths : inputs.hardwareCost;
  const cashPerMonth = revenuePerMonth - operatingCostPerMonth;
  const breakEvenMonths = cashPerMonth > 0 ? inputs.hardwareCost / cashPerMonth : null;
  return {
    revenuePerMonth,
    operatingCostPerMonth,
    depreciationPerMonth,
    netPerMonth: cashPerMonth - depreciationPerMonth,
    cashPerMonth,
    breakEvenMonths,
    breakEvenDate: breakEvenMonths === null ? null : addMonths(inputs.startDate, breakEvenMonths),
    paysBackWithinDepreciation: breakEvenMonths !== null && breakEvenMonths <= inputs.depreciationMonths,
  };
}

export function estimateReturn(inputs: OperatorInputs): ReturnEstimate {
  for (const [name, value] of Object.entries(inputs)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  }
  return { current: scenario(inputs, inputs.revenuePerMonth), halfDemand: scenario(inputs, inputs.revenuePerMonth / 2) };
}

/** Revenue a month at the demand seen over `days` days that earned `earned` (in currency). */
export const monthlyRevenueFrom = (earned: number, days: number): number => (days > 0 ? (earned / days) * DAYS_PER_MONTH : 0);
