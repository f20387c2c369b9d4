export { AccountsModule } from './accounts.module';
export { AccountsRepository } from './accounts.repository';
export { AccountsService, accountForKey, type Account, type CreatedAccount, type Role, type StoredKey } from './accounts.service';
export { ApiKeyCache, type AuthenticatedKey } from './api-key-cache';
export { issueApiKey, hashApiKey, apiKeyPrefix } from './api-key';
export { KeyRevocationChannel, type RevokedKey } from './key-revocation-channel';
export { RateLimiter, SocketCounter, type RateDecision } from './rate-limiter';
