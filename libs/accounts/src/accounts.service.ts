import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { apiKeyMatches, apiKeyPrefix, issueApiKey } from './api-key';

export type Role = 'consumer' | 'creator' | 'operator';

export interface Account {
  id: string;
  displayName: string;
  apiKeyPrefix: string;
  roles: Role[];
  createdAt: Date;
}

export interface CreatedAccount extends Account {
  /** Shown once, at creation; only its hash is kept. */
  apiKey: string;
}

@Injectable()
export class AccountsService {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /** Self-service signup gets consumer + creator; operator accounts are made from the CLI (`accounts create --operator`). */
  async create(displayName: string, roles: Role[] = ['consumer', 'creator']): Promise<CreatedAccount> {
    const key = issueApiKey();
    const row = await this.db
      .insertInto('accounts')
      .values({ display_name: displayName, api_key_prefix: key.prefix, api_key_hash: key.hash, roles })
      .returning(['id', 'display_name', 'api_key_prefix', 'roles', 'created_at'])
      .executeTakeFirstOrThrow();
    return { ...toAccount(row), apiKey: key.apiKey };
  }

  /** Issues a new key for the account; the old one stops working at once. */
  async rotateKey(accountId: string): Promise<CreatedAccount> {
    const key = issueApiKey();
    const row = await this.db
      .updateTable('accounts')
      .set({ api_key_prefix: key.prefix, api_key_hash: key.hash, key_revoked_at: null })
      .where('id', '=', accountId)
      .returning(['id', 'display_name', 'api_key_prefix', 'roles', 'created_at'])
      .executeTakeFirst();
    if (!row) throw new DoppelError(ErrorCode.AccountNotFound, `Account ${accountId} does not exist.`);
    return { ...toAccount(row), apiKey: key.apiKey };
  }

  /** Revokes the account's key (operators); the account can get a new one only from an operator rotating it. */
  async revokeKey(accountId: string): Promise<void> {
    const result = await this.db.updateTable('accounts').set({ key_revoked_at: new Date() }).where('id', '=', accountId).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new DoppelError(ErrorCode.AccountNotFound, `Account ${accountId} does not exist.`);
  }

  /** The account owning this key, or null for a malformed, unknown or wrong key (callers cannot tell which). */
  async authenticate(apiKey: string | undefined | null): Promise<Account | null> {
    if (!apiKey) return null;
    const prefix = apiKeyPrefix(apiKey);
    if (!prefix) return null;
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'display_name', 'api_key_prefix', 'api_key_hash', 'roles', 'key_revoked_at', 'created_at'])
      .where('api_key_prefix', '=', prefix)
      .executeTakeFirst();
    if (!row || row.key_revoked_at || !apiKeyMatches(apiKey, row.api_key_hash)) return null;
    return toAccount(row);
  }
}

function toAccount(row: { id: string; display_name: string; api_key_prefix: string; roles: string[]; created_at: Date }): Account {
  return { id: row.id, displayName: row.display_name, apiKeyPrefix: row.api_key_prefix, roles: row.roles as Role[], createdAt: row.created_at };
}
