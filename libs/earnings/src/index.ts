export { EarningsModule } from './earnings.module';
export { EarningsRepository, type NodeDayEarnings, type ReconciliationReport } from './earnings.repository';
export { EarningsMeter, priceListOf } from './earnings-meter.service';
export { turnEarningWei, reexecEarningWei, levelPercentOf, type PriceList, type MeteredWork } from './price-list';
export { buildPayoutTree, verifyPayoutProof, payoutLeafHash, type PayoutLeaf, type PayoutTree } from './merkle';
export { postPayoutRoot, claimPayout, NothingToClaimError, type PostedEpoch, type Claim } from './payouts';
export * from './browser';
