// Owns the `models` table: the registered models and their file hashes.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database, type ModelRow } from '@doppel/db';

export interface ModelValues {
  id: string;
  kind: 'chat' | 'embedding';
  backend: ModelRow['backend'];
  location: string;
  /** JSON text. */
  parameters: string;
  content_hash: string;
  /** JSON text. */
  files: string;
  dimensions: number | null;
}

@Injectable()
export class ModelsRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async list(): Promise<ModelRow[]> {
    return this.db.selectFrom('models').selectAll().orderBy('id').execute();
  }

  async find(modelId: string): Promise<ModelRow | undefined> {
    return this.db.selectFrom('models').selectAll().where('id', '=', modelId).executeTakeFirst();
  }

  /** Inserts the model or replaces every value of the one with its id. */
  async upsert(values: ModelValues): Promise<ModelRow> {
    return this.db
      .insertInto('models')
      .values(values)
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ ...values }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
