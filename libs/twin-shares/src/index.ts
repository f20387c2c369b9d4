export { TwinSharesModule } from './twin-shares.module';
export { SharesGateService, type SharesRequiredDetails, type TwinMarketView } from './shares-gate.service';
export { WalletLinksService, type WalletChallenge } from './wallet-links.service';
export { HoldingsReader, ChainUnreachableError, type TwinMarket } from './holdings-reader';
export { signInMessage, nonceOf, type SignInFields } from './sign-in-message';
