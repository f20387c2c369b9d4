// Owns personas and persona_versions (rows of the latter are never updated or deleted: a trigger refuses it).
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { beforeTimeAndId, DATABASE, keysetPage, type Database, type Page } from '@doppel/db';
import { personaContentHash } from '@doppel/protocol';
import type { PersonaDefinition, PersonaVisibility, SharesGate } from './persona-definition';
import { personaJson, personaText } from './persona-fields';
import type { PersonaVersion, PersonaView } from './persona-views';

/** The current version of a persona, locked for a change in the caller's transaction. */
export interface LockedPersona {
  ownerId: string;
  status: 'active' | 'archived';
  version: number;
  contentHash: string;
  definition: PersonaDefinition;
}

export interface PersonaListing {
  limit: number;
  cursor?: string;
  /** Only the viewer's own; otherwise public active personas and the viewer's own. */
  mine?: boolean;
  /** Matches name, description or a tag (case-insensitive substring). */
  search?: string;
  /** Personas carrying exactly this tag. */
  tag?: string;
}

@Injectable()
export class PersonasRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  /** Runs `work` in one transaction (a persona edit and what goes with it). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  async isChatModel(modelId: string): Promise<boolean> {
    const model = await this.db.selectFrom('models').select('kind').where('id', '=', modelId).executeTakeFirst();
    return model?.kind === 'chat';
  }

  /** New personas at version 1, in one transaction: all of them or none. */
  async insertMany(ownerId: string, personas: readonly { visibility: PersonaVisibility; definition: PersonaDefinition }[]): Promise<string[]> {
    return this.transaction(async (trx) => {
      const ids: string[] = [];
      for (const { visibility, definition } of personas) {
        const persona = await trx.insertInto('personas').values({ owner_id: ownerId, visibility }).returning('id').executeTakeFirstOrThrow();
        await this.insertVersion(trx, persona.id, 1, definition);
        ids.push(persona.id);
      }
      return ids;
    });
  }

  /** The persona's current version, its row locked until `trx` ends; undefined for an unknown persona. */
  async lockCurrent(trx: Transaction<Database>, personaId: string): Promise<LockedPersona | undefined> {
    const row = await trx
      .selectFrom('personas')
      .innerJoin('persona_versions', 'persona_versions.id', 'personas.current_version_id')
      .select(['personas.owner_id', 'personas.status', 'persona_versions.version', 'persona_versions.definition', 'persona_versions.content_hash'])
      .where('personas.id', '=', personaId)
      .forUpdate('personas')
      .executeTakeFirst();
    if (!row) return undefined;
    return { ownerId: row.owner_id, status: row.status, version: row.version, contentHash: row.content_hash, definition: row.definition as PersonaDefinition };
  }

  /** Stores `definition` as the persona's version `version` and makes it current. */
  async insertVersion(trx: Transaction<Database>, personaId: string, version: number, definition: PersonaDefinition): Promise<void> {
    const inserted = await trx
      .insertInto('persona_versions')
      .values({ persona_id: personaId, version, content_hash: personaContentHash(definition), definition: JSON.stringify(definition) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.updateTable('personas').set({ current_version_id: inserted.id }).where('id', '=', personaId).execute();
  }

  async setVisibility(trx: Transaction<Database>, personaId: string, visibility: PersonaVisibility): Promise<void> {
    await trx.updateTable('personas').set({ visibility }).where('id', '=', personaId).execute();
  }

  /** False when the persona is not the owner's. */
  async archive(personaId: string, ownerId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('personas')
      .set({ status: 'archived', archived_at: sql<Date>`now()` })
      .where('id', '=', personaId)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The persona if the viewer may see it: public and active, or the viewer's own. */
  async findVisible(personaId: string, viewerId: string): Promise<PersonaView | undefined> {
    const row = await this.viewQuery()
      .where('personas.id', '=', personaId)
      .where((eb) => eb.or([eb('personas.owner_id', '=', viewerId), eb.and([eb('personas.visibility', '=', 'public'), eb('personas.status', '=', 'active')])]))
      .executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  /** Owner, name and share gate of the current version, read small (the turn path asks on every turn). Same visibility rule. */
  async findAccessRule(personaId: string, viewerId: string): Promise<{ ownerId: string; name: string; sharesGate: SharesGate | null } | undefined> {
    const row = await this.db
      .selectFrom('personas')
      .innerJoin('persona_versions', 'persona_versions.id', 'personas.current_version_id')
      .select(['personas.owner_id', personaText('name').as('name'), personaJson<SharesGate | null>('sharesGate').as('shares_gate')])
      .where('personas.id', '=', personaId)
      .where((eb) => eb.or([eb('personas.owner_id', '=', viewerId), eb.and([eb('personas.visibility', '=', 'public'), eb('personas.status', '=', 'active')])]))
      .executeTakeFirst();
    return row ? { ownerId: row.owner_id, name: row.name, sharesGate: row.shares_gate } : undefined;
  }

  /** Newest first, keyset-paged. */
  async list(viewerId: string, options: PersonaListing): Promise<Page<PersonaView>> {
    let query = this.viewQuery()
      .orderBy('personas.created_at', 'desc')
      .orderBy('personas.id', 'desc')
      .limit(options.limit + 1);
    query = options.mine
      ? query.where('personas.owner_id', '=', viewerId)
      : query.where((eb) =>
          eb.or([eb('personas.owner_id', '=', viewerId), eb.and([eb('personas.visibility', '=', 'public'), eb('personas.status', '=', 'active')])]),
        );
    if (options.search?.trim()) {
      const pattern = `%${options.search.trim().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      query = query.where(
        sql<boolean>`(${personaText('name')} ILIKE ${pattern} OR ${personaText('description')} ILIKE ${pattern}
          OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(${personaJson('tags')}) AS tag WHERE tag ILIKE ${pattern}))`,
      );
    }
    if (options.tag) query = query.where(sql<boolean>`${personaJson('tags')} @> ${JSON.stringify([options.tag.trim().toLowerCase()])}::jsonb`);
    if (options.cursor) query = query.where(beforeTimeAndId('personas.created_at', 'personas.id', options.cursor));
    const rows = await query.execute();
    return keysetPage(rows, options.limit, (row) => [row.created_at_text, row.id], toView);
  }

  /** Every version, oldest first, without the definitions. */
  async listVersions(personaId: string): Promise<Omit<PersonaVersion, 'definition'>[]> {
    const rows = await this.db
      .selectFrom('persona_versions')
      .select(['id', 'persona_id', 'version', 'content_hash', 'created_at'])
      .where('persona_id', '=', personaId)
      .orderBy('version')
      .execute();
    return rows.map((row) => ({ id: row.id, personaId: row.persona_id, version: row.version, contentHash: row.content_hash, createdAt: row.created_at }));
  }

  /** The definitions of these versions of the persona (those that exist). */
  async definitionsOf(personaId: string, versions: number[]): Promise<{ version: number; definition: Record<string, unknown> }[]> {
    const rows = await this.db.selectFrom('persona_versions').select(['version', 'definition']).where('persona_id', '=', personaId).where('version', 'in', versions).execute();
    return rows.map((row) => ({ version: row.version, definition: row.definition as Record<string, unknown> }));
  }

  async findVersion(versionId: string): Promise<PersonaVersion | undefined> {
    const row = await this.db.selectFrom('persona_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
    if (!row) return undefined;
    return { id: row.id, personaId: row.persona_id, version: row.version, contentHash: row.content_hash, definition: row.definition as PersonaDefinition, createdAt: row.created_at };
  }

  async hasConversationWith(personaId: string, consumerId: string): Promise<boolean> {
    const row = await this.db.selectFrom('conversations').select('id').where('persona_id', '=', personaId).where('consumer_id', '=', consumerId).limit(1).executeTakeFirst();
    return !!row;
  }

  private viewQuery() {
    return this.db
      .selectFrom('personas')
      .innerJoin('persona_versions', 'persona_versions.id', 'personas.current_version_id')
      .select([
        'personas.id',
        'personas.owner_id',
        'personas.visibility',
        'personas.status',
        'personas.created_at',
        'personas.updated_at',
        'persona_versions.id as version_id',
        'persona_versions.version',
        'persona_versions.content_hash',
        'persona_versions.definition',
        sql<string>`personas.created_at::text`.as('created_at_text'),
      ]);
  }
}

function toView(row: {
  id: string;
  owner_id: string;
  visibility: PersonaVisibility;
  status: 'active' | 'archived';
  created_at: Date;
  updated_at: Date;
  version_id: string;
  version: number;
  content_hash: string;
  definition: unknown;
}): PersonaView {
  return {
    id: row.id,
    ownerId: row.owner_id,
    visibility: row.visibility,
    status: row.status,
    version: row.version,
    versionId: row.version_id,
    contentHash: row.content_hash,
    definition: row.definition as PersonaDefinition,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
