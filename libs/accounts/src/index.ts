export { AccountsModule } from './accounts.module';
export { AccountsService, type Account, type CreatedAccount } from './accounts.service';
export { issueApiKey, hashApiKey, apiKeyPrefix } from './api-key';
