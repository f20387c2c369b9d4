// The account_wallets table: which wallet address an account has proven it controls.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';

@Injectable()
export class WalletRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async addressOf(accountId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('account_wallets').select('address').where('account_id', '=', accountId).executeTakeFirst();
    return row?.address;
  }

  /** Links the address to the account; the address leaves any other account it was linked to, in the same transaction. */
  async link(accountId: string, address: string, chainId: number): Promise<void> {
    const lower = address.toLowerCase();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('account_wallets').where('address', '=', lower).where('account_id', '<>', accountId).execute();
      await trx
        .insertInto('account_wallets')
        .values({ account_id: accountId, address: lower, chain_id: chainId, linked_at: new Date() })
        .onConflict((conflict) => conflict.column('account_id').doUpdateSet({ address: lower, chain_id: chainId, linked_at: new Date() }))
        .execute();
    });
  }

  async unlink(accountId: string): Promise<void> {
    await this.db.deleteFrom('account_wallets').where('account_id', '=', accountId).execute();
  }
}
