// @doppel/earnings without Node or the database: the operator's return arithmetic, which the web dashboard runs
// (apps/web maps `@doppel/earnings` here). index.ts adds the metering, payouts and repository for the server.
export {
  estimateReturn,
  scenario,
  powerCostPerMonth,
  monthlyRevenueFrom,
  addMonths,
  type OperatorInputs,
  type ReturnEstimate,
  type ReturnScenario,
} from './return-estimate';
