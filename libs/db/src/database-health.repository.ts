// What /health/ready asks PostgreSQL: is it there, and is pgvector installed.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DATABASE } from './database.module';
import type { Database } from './database.types';

@Injectable()
export class DatabaseHealthRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  /** The installed pgvector version, or null when the extension is missing. */
  async pgvectorVersion(): Promise<string | null> {
    const { rows } = await sql<{ extversion: string }>`SELECT extversion FROM pg_extension WHERE extname = 'vector'`.execute(this.db);
    return rows[0]?.extversion ?? null;
  }
}
