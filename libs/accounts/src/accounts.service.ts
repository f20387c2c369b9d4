import { Injectable } from '@nestjs/common';
import { DoppelError, ErrorCode, type AccountRole, type AccountView } from '@doppel/protocol';
import { AccountsRepository } from './accounts.repository';
import { apiKeyMatches, apiKeyPrefix, issueApiKey } from './api-key';

export type Role = AccountRole;
/** The account a key belongs to, as GET /accounts/me answers it. */
export type Account = AccountView;

export interface CreatedAccount extends Account {
  /** Shown once, at creation; only its hash is kept. */
  apiKey: string;
}

@Injectable()
export class AccountsService {
  constructor(private readonly repository: AccountsRepository) {}

  /** Self-service signup gets consumer + creator; operator accounts are made from the CLI (`accounts create --operator`). */
  async create(displayName: string, roles: Role[] = ['consumer', 'creator']): Promise<CreatedAccount> {
    const key = issueApiKey();
    const row = await this.repository.insert({ displayName, keyPrefix: key.prefix, keyHash: key.hash, roles });
    return { ...toAccount(row), apiKey: key.apiKey };
  }

  /** Issues a new key for the account; the old one stops working at once. Says which key it replaced. */
  async rotateKey(accountId: string): Promise<{ account: CreatedAccount; replacedKeyPrefix: string }> {
    const key = issueApiKey();
    const replaced = await this.repository.replaceKey(accountId, key);
    if (!replaced) throw new DoppelError(ErrorCode.AccountNotFound, `Account ${accountId} does not exist.`);
    return { account: { ...toAccount(replaced.account), apiKey: key.apiKey }, replacedKeyPrefix: replaced.replacedKeyPrefix };
  }

  /** Revokes the account's key (operators); the account can get a new one only from an operator rotating it. */
  async revokeKey(accountId: string): Promise<{ revokedKeyPrefix: string }> {
    const revokedKeyPrefix = await this.repository.revokeKey(accountId);
    if (revokedKeyPrefix === undefined) throw new DoppelError(ErrorCode.AccountNotFound, `Account ${accountId} does not exist.`);
    return { revokedKeyPrefix };
  }

  /** The account owning this key, or null for a malformed, unknown or wrong key (callers cannot tell which). */
  async authenticate(apiKey: string | undefined | null): Promise<Account | null> {
    const prefix = apiKey ? apiKeyPrefix(apiKey) : null;
    if (!apiKey || !prefix) return null;
    return accountForKey(apiKey, await this.findKey(prefix));
  }

  /** The stored key with this prefix (its hash, whether revoked) and its account, or null. */
  async findKey(prefix: string): Promise<StoredKey | null> {
    const row = await this.repository.findByKeyPrefix(prefix);
    return row ? { account: toAccount(row), hash: row.api_key_hash, revoked: row.key_revoked_at !== null } : null;
  }

  /** Which of these key prefixes still name a key that works (for re-checking keys behind open connections). */
  async workingKeyPrefixes(prefixes: readonly string[]): Promise<Set<string>> {
    if (prefixes.length === 0) return new Set();
    return new Set(await this.repository.workingKeyPrefixes(prefixes));
  }
}

/** A key as stored: enough to check a presented key without the database again. */
export interface StoredKey {
  account: Account;
  hash: string;
  revoked: boolean;
}

/** The account a presented key authenticates as, given what is stored under its prefix. */
export function accountForKey(apiKey: string, stored: StoredKey | null): Account | null {
  if (!stored || stored.revoked || !apiKeyMatches(apiKey, stored.hash)) return null;
  return stored.account;
}

function toAccount(row: { id: string; display_name: string; api_key_prefix: string; roles: string[]; created_at: Date }): Account {
  return { id: row.id, displayName: row.display_name, apiKeyPrefix: row.api_key_prefix, roles: row.roles as Role[], createdAt: row.created_at };
}
