// The lorebooks table and the persona_lorebooks attachments.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import type { StandaloneLorebook } from '../persona-definition';
import type { LorebookRow } from '../persona-views';

type Executor = Kysely<Database> | Transaction<Database>;

@Injectable()
export class LorebookRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  async insert(ownerId: string, book: StandaloneLorebook, contentHash: string, executor: Executor = this.db): Promise<string> {
    const row = await executor.insertInto('lorebooks').values({ owner_id: ownerId, book: JSON.stringify(book), content_hash: contentHash }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }

  /** Locks the row for the rest of the transaction when one is given. */
  async find(lorebookId: string, ownerId: string, executor: Executor = this.db, lock = false): Promise<LorebookRow | null> {
    let query = executor.selectFrom('lorebooks').selectAll().where('id', '=', lorebookId).where('owner_id', '=', ownerId);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return null;
    const attachments = await executor.selectFrom('persona_lorebooks').select('persona_id').where('lorebook_id', '=', lorebookId).orderBy('attached_at').execute();
    return { id: row.id, ownerId: row.owner_id, book: row.book as StandaloneLorebook, contentHash: row.content_hash, attachedTo: attachments.map((attachment) => attachment.persona_id), createdAt: row.created_at, updatedAt: row.updated_at };
  }

  async listByOwner(ownerId: string): Promise<LorebookRow[]> {
    const rows = await this.db.selectFrom('lorebooks').selectAll().where('owner_id', '=', ownerId).orderBy('created_at', 'desc').limit(500).execute();
    const attachments = rows.length
      ? await this.db.selectFrom('persona_lorebooks').select(['lorebook_id', 'persona_id']).where('lorebook_id', 'in', rows.map((row) => row.id)).execute()
      : [];
    return rows.map((row) => ({
      id: row.id,
      ownerId: row.owner_id,
      book: row.book as StandaloneLorebook,
      contentHash: row.content_hash,
      attachedTo: attachments.filter((attachment) => attachment.lorebook_id === row.id).map((attachment) => attachment.persona_id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async update(lorebookId: string, book: StandaloneLorebook, contentHash: string, executor: Executor): Promise<void> {
    await executor.updateTable('lorebooks').set({ book: JSON.stringify(book), content_hash: contentHash }).where('id', '=', lorebookId).execute();
  }

  async delete(lorebookId: string, executor: Executor): Promise<void> {
    await executor.deleteFrom('lorebooks').where('id', '=', lorebookId).execute();
  }

  async attach(lorebookId: string, personaId: string, executor: Executor): Promise<void> {
    await executor.insertInto('persona_lorebooks').values({ lorebook_id: lorebookId, persona_id: personaId }).onConflict((conflict) => conflict.doNothing()).execute();
  }

  async detach(lorebookId: string, personaId: string, executor: Executor): Promise<boolean> {
    const result = await executor.deleteFrom('persona_lorebooks').where('lorebook_id', '=', lorebookId).where('persona_id', '=', personaId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
