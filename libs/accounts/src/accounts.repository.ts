// Owns accounts: rows, key hashes (never keys) and revocation.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';

export interface AccountRow {
  id: string;
  display_name: string;
  api_key_prefix: string;
  roles: string[];
  created_at: Date;
}

export interface StoredKeyRow extends AccountRow {
  api_key_hash: string;
  key_revoked_at: Date | null;
}

const ACCOUNT_COLUMNS = ['id', 'display_name', 'api_key_prefix', 'roles', 'created_at'] as const;

@Injectable()
export class AccountsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async insert(account: { displayName: string; keyPrefix: string; keyHash: string; roles: string[] }): Promise<AccountRow> {
    return this.db
      .insertInto('accounts')
      .values({ display_name: account.displayName, api_key_prefix: account.keyPrefix, api_key_hash: account.keyHash, roles: account.roles })
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** Replaces the account's key (and lifts a revocation); the replaced key's prefix too. Undefined for an unknown account. */
  async replaceKey(accountId: string, key: { prefix: string; hash: string }): Promise<{ account: AccountRow; replacedKeyPrefix: string } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('accounts').select('api_key_prefix').where('id', '=', accountId).forUpdate().executeTakeFirst();
      if (!current) return undefined;
      const account = await trx
        .updateTable('accounts')
        .set({ api_key_prefix: key.prefix, api_key_hash: key.hash, key_revoked_at: null })
        .where('id', '=', accountId)
        .returning(ACCOUNT_COLUMNS)
        .executeTakeFirstOrThrow();
      return { account, replacedKeyPrefix: current.api_key_prefix };
    });
  }

  /** The revoked key's prefix, or undefined for an unknown account. */
  async revokeKey(accountId: string): Promise<string | undefined> {
    const row = await this.db.updateTable('accounts').set({ key_revoked_at: new Date() }).where('id', '=', accountId).returning('api_key_prefix').executeTakeFirst();
    return row?.api_key_prefix;
  }

  async findByKeyPrefix(prefix: string): Promise<StoredKeyRow | undefined> {
    return this.db
      .selectFrom('accounts')
      .select([...ACCOUNT_COLUMNS, 'api_key_hash', 'key_revoked_at'])
      .where('api_key_prefix', '=', prefix)
      .executeTakeFirst();
  }

  /** Which of these prefixes name a key that is not revoked. */
  async workingKeyPrefixes(prefixes: readonly string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('accounts').select('api_key_prefix').where('api_key_prefix', 'in', [...prefixes]).where('key_revoked_at', 'is', null).execute();
    return rows.map((row) => row.api_key_prefix);
  }
}
