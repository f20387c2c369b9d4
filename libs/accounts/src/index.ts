export { AccountsModule } from './accounts.module';
export { AccountsService, type Account, type CreatedAccount, type Role } from './accounts.service';
export { issueApiKey, hashApiKey, apiKeyPrefix } from './api-key';
export { RateLimiter, SocketCounter, type RateDecision } from './rate-limiter';
