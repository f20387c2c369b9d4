import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import { apiKeyMatches, apiKeyPrefix, issueApiKey } from './api-key';

export interface Account {
  id: string;
  displayName: string;
  apiKeyPrefix: string;
  createdAt: Date;
}

export interface CreatedAccount extends Account {
  /** Shown once, at creation; only its hash is kept. */
  apiKey: string;
}

@Injectable()
export class AccountsService {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async create(displayName: string): Promise<CreatedAccount> {
    const key = issueApiKey();
    const row = await this.db
      .insertInto('accounts')
      .values({ display_name: displayName, api_key_prefix: key.prefix, api_key_hash: key.hash })
      .returning(['id', 'display_name', 'api_key_prefix', 'created_at'])
      .executeTakeFirstOrThrow();
    return { id: row.id, displayName: row.display_name, apiKeyPrefix: row.api_key_prefix, createdAt: row.created_at, apiKey: key.apiKey };
  }

  /** The account owning this key, or null for a malformed, unknown or wrong key (callers cannot tell which). */
  async authenticate(apiKey: string | undefined | null): Promise<Account | null> {
    if (!apiKey) return null;
    const prefix = apiKeyPrefix(apiKey);
    if (!prefix) return null;
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'display_name', 'api_key_prefix', 'api_key_hash', 'created_at'])
      .where('api_key_prefix', '=', prefix)
      .executeTakeFirst();
    if (!row || !apiKeyMatches(apiKey, row.api_key_hash)) return null;
    return { id: row.id, displayName: row.display_name, apiKeyPrefix: row.api_key_prefix, createdAt: row.created_at };
  }
}
