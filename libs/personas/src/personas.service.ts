import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { beforeTimeAndId, DATABASE, isUuid, keysetPage, type Database, type Page } from '@doppel/db';
import { DoppelError, ErrorCode, errorCodeOfIssues, personaContentHash } from '@doppel/protocol';
import { AvatarRepository } from './avatars/avatar.repository';
import { personaJson, personaText } from './persona-fields';
import {
  PERSONA_LIMITS,
  personaDefinitionSchema,
  type AttachedLorebook,
  type CreatePersonaInput,
  type PersonaDefinition,
  type PersonaVisibility,
  type SharesGate,
  type UpdatePersonaInput,
} from './persona-definition';

export interface PersonaVersion {
  id: string;
  personaId: string;
  version: number;
  contentHash: string;
  definition: PersonaDefinition;
  createdAt: Date;
}

export interface PersonaView {
  id: string;
  ownerId: string;
  visibility: PersonaVisibility;
  status: 'active' | 'archived';
  version: number;
  versionId: string;
  contentHash: string;
  definition: PersonaDefinition;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionDiff {
  from: number;
  to: number;
  changes: { field: string; from: unknown; to: unknown }[];
}

export type PersonaPage = Page<PersonaView>;

const notFound = (personaId: string) =>
  new DoppelError(ErrorCode.PersonaNotFound, `Persona ${personaId} does not exist or is not visible to you.`);

@Injectable()
export class PersonasService {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly avatars: AvatarRepository,
  ) {}

  async create(ownerId: string, input: CreatePersonaInput): Promise<PersonaView> {
    const [created] = await this.createMany(ownerId, [input]);
    return created!;
  }

  /** Several personas in one transaction (an ElizaOS file with several characters): all of them, or none. */
  async createMany(ownerId: string, inputs: readonly CreatePersonaInput[]): Promise<PersonaView[]> {
    const prepared: { visibility: PersonaVisibility; definition: PersonaDefinition }[] = [];
    for (const input of inputs) {
      const { visibility, ...definitionInput } = input;
      const parsed = personaDefinitionSchema.safeParse({ ...definitionInput, defaultModel: input.defaultModel ?? this.config.models.defaultChatModel });
      if (!parsed.success) throw new DoppelError(errorCodeOfIssues(parsed.error.issues), `The persona is not valid: ${problemsOf(parsed.error.issues)}`, parsed.error.issues);
      await this.assertStorable(this.db, parsed.data);
      prepared.push({ visibility: visibility ?? 'public', definition: parsed.data });
    }
    const personaIds = await this.db.transaction().execute(async (trx) => {
      const ids: string[] = [];
      for (const { visibility, definition } of prepared) {
        const persona = await trx.insertInto('personas').values({ owner_id: ownerId, visibility }).returning('id').executeTakeFirstOrThrow();
        await this.insertVersion(trx, persona.id, 1, definition);
        ids.push(persona.id);
      }
      return ids;
    });
    return Promise.all(personaIds.map((personaId) => this.getVisible(personaId, ownerId)));
  }

  /** Editing never changes a version: it adds one (unless the definition did not change). */
  async update(personaId: string, editorId: string, patch: UpdatePersonaInput): Promise<PersonaView> {
    if (!isUuid(personaId)) throw notFound(personaId);
    const { visibility, ...definitionPatch } = patch;
    await this.db.transaction().execute(async (trx) => {
      await this.revise(trx, personaId, editorId, (current) => {
        const merged: Record<string, unknown> = { ...current, ...definitionPatch };
        // `avatar: null` takes the picture away.
        if (merged.avatar === null) delete merged.avatar;
        // `sharesGate: null` opens the persona to everyone again.
        if (merged.sharesGate === null) delete merged.sharesGate;
        return merged;
      });
      if (visibility) await trx.updateTable('personas').set({ visibility }).where('id', '=', personaId).execute();
    });
    return this.getVisible(personaId, editorId);
  }

  /**
   * Inside the caller's transaction: the persona's copy of a standalone lorebook added or replaced (`book`), or
   * removed (`null`). A new version, like any edit; archived personas keep theirs (they take no new turns).
   */
  async setAttachedLorebook(trx: Transaction<Database>, personaId: string, ownerId: string, lorebookId: string, book: AttachedLorebook | null): Promise<void> {
    if (!isUuid(personaId)) throw notFound(personaId);
    await this.revise(trx, personaId, ownerId, (current) => {
      const others = (current.attachedLorebooks ?? []).filter((attached) => attached.id !== lorebookId);
      const attached = book ? [...others, book] : others;
      if (attached.length > PERSONA_LIMITS.attachedLorebooks) {
        throw new DoppelError(ErrorCode.ValidationFailed, `A persona has at most ${PERSONA_LIMITS.attachedLorebooks} lorebooks attached.`);
      }
      const { attachedLorebooks: _previous, ...rest } = current;
      return attached.length > 0 ? { ...rest, attachedLorebooks: attached } : rest;
    }, { archived: book === null ? 'skip' : 'refuse' });
  }

  /** Locks the persona, applies the change to its current definition, and stores a new version if anything changed. */
  private async revise(
    trx: Transaction<Database>,
    personaId: string,
    editorId: string,
    change: (current: PersonaDefinition) => Record<string, unknown>,
    options: { archived: 'refuse' | 'skip' } = { archived: 'refuse' },
  ): Promise<void> {
    const current = await trx
      .selectFrom('personas')
      .innerJoin('persona_versions', 'persona_versions.id', 'personas.current_version_id')
      .select(['personas.owner_id', 'personas.status', 'persona_versions.version', 'persona_versions.definition', 'persona_versions.content_hash'])
      .where('personas.id', '=', personaId)
      .forUpdate('personas')
      .executeTakeFirst();
    if (!current || current.owner_id !== editorId) throw notFound(personaId);
    if (current.status === 'archived') {
      if (options.archived === 'skip') return;
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; archived personas cannot be edited.`);
    }
    const parsed = personaDefinitionSchema.safeParse(change(current.definition as PersonaDefinition));
    if (!parsed.success) {
      throw new DoppelError(errorCodeOfIssues(parsed.error.issues), `The edited persona is not valid: ${problemsOf(parsed.error.issues)}`, parsed.error.issues);
    }
    await this.assertStorable(trx, parsed.data);
    if (personaContentHash(parsed.data) !== current.content_hash) {
      await this.insertVersion(trx, personaId, current.version + 1, parsed.data);
    }
  }

  async archive(personaId: string, ownerId: string): Promise<PersonaView> {
    if (!isUuid(personaId)) throw notFound(personaId);
    const result = await this.db
      .updateTable('personas')
      .set({ status: 'archived', archived_at: sql<Date>`now()` })
      .where('id', '=', personaId)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound(personaId);
    return this.getVisible(personaId, ownerId);
  }

  /** Public personas, plus the viewer's own (private or archived). Unknown and invisible look the same. */
  async getVisible(personaId: string, viewerId: string): Promise<PersonaView> {
    // Ids that are not UUIDs are simply unknown (and would otherwise be a database error).
    if (!isUuid(personaId)) throw notFound(personaId);
    const row = await this.viewQuery()
      .where('personas.id', '=', personaId)
      .where((eb) => eb.or([eb('personas.owner_id', '=', viewerId), eb.and([eb('personas.visibility', '=', 'public'), eb('personas.status', '=', 'active')])]))
      .executeTakeFirst();
    if (!row) throw notFound(personaId);
    return toView(row);
  }

  /**
   * Who may use the persona, read small (the turn path asks on every turn): its owner, name and share gate from the
   * current version, without the rest of the definition. Same visibility rule as getVisible.
   */
  async accessRule(personaId: string, viewerId: string): Promise<{ ownerId: string; name: string; sharesGate?: SharesGate }> {
    if (!isUuid(personaId)) throw notFound(personaId);
    const row = await this.db
      .selectFrom('personas')
      .innerJoin('persona_versions', 'persona_versions.id', 'personas.current_version_id')
      .select(['personas.owner_id', personaText('name').as('name'), personaJson<SharesGate | null>('sharesGate').as('shares_gate')])
      .where('personas.id', '=', personaId)
      .where((eb) => eb.or([eb('personas.owner_id', '=', viewerId), eb.and([eb('personas.visibility', '=', 'public'), eb('personas.status', '=', 'active')])]))
      .executeTakeFirst();
    if (!row) throw notFound(personaId);
    return { ownerId: row.owner_id, name: row.name, ...(row.shares_gate ? { sharesGate: row.shares_gate } : {}) };
  }

  /**
   * Public personas and the viewer's own, newest first. `search` matches name, description or a tag (case-insensitive
   * substring); `tag` keeps personas carrying exactly that tag.
   */
  async list(viewerId: string, options: { limit: number; cursor?: string; mine?: boolean; search?: string; tag?: string }): Promise<PersonaPage> {
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

  /** Every version of a persona the viewer can see, oldest first. */
  async listVersions(personaId: string, viewerId: string): Promise<Omit<PersonaVersion, 'definition'>[]> {
    await this.getVisible(personaId, viewerId);
    const rows = await this.db
      .selectFrom('persona_versions')
      .select(['id', 'persona_id', 'version', 'content_hash', 'created_at'])
      .where('persona_id', '=', personaId)
      .orderBy('version')
      .execute();
    return rows.map((row) => ({ id: row.id, personaId: row.persona_id, version: row.version, contentHash: row.content_hash, createdAt: row.created_at }));
  }

  /** Field-level changes between two versions (nested fields as dotted paths, lists compared whole). */
  async diffVersions(personaId: string, viewerId: string, fromVersion: number, toVersion: number): Promise<VersionDiff> {
    await this.getVisible(personaId, viewerId);
    const rows = await this.db
      .selectFrom('persona_versions')
      .select(['version', 'definition'])
      .where('persona_id', '=', personaId)
      .where('version', 'in', [fromVersion, toVersion])
      .execute();
    const from = rows.find((row) => row.version === fromVersion);
    const to = rows.find((row) => row.version === toVersion);
    if (!from || !to) {
      throw new DoppelError(ErrorCode.ValidationFailed, `Persona ${personaId} has no version ${!from ? fromVersion : toVersion}.`);
    }
    return { from: fromVersion, to: toVersion, changes: diffFields(from.definition as Record<string, unknown>, to.definition as Record<string, unknown>, '') };
  }

  async hasConversationWith(personaId: string, consumerId: string): Promise<boolean> {
    if (!isUuid(personaId)) return false;
    const row = await this.db.selectFrom('conversations').select('id').where('persona_id', '=', personaId).where('consumer_id', '=', consumerId).limit(1).executeTakeFirst();
    return !!row;
  }

  /** Versions never change, so callers may cache the result forever. */
  async getVersion(versionId: string): Promise<PersonaVersion> {
    const row = await this.db.selectFrom('persona_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
    if (!row) throw new DoppelError(ErrorCode.PersonaNotFound, `Persona version ${versionId} does not exist.`);
    return {
      id: row.id,
      personaId: row.persona_id,
      version: row.version,
      contentHash: row.content_hash,
      definition: row.definition as PersonaDefinition,
      createdAt: row.created_at,
    };
  }

  /** A definition may be stored when its model is a chat model, its avatar was uploaded, and it is not too large. */
  private async assertStorable(executor: Kysely<Database>, definition: PersonaDefinition): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(definition), 'utf8');
    if (bytes > PERSONA_LIMITS.definitionBytes) {
      throw new DoppelError(ErrorCode.PersonaTooLarge, `The persona is ${bytes} bytes as JSON; a persona holds at most ${PERSONA_LIMITS.definitionBytes}. Move reference text into knowledge documents.`, {
        limitBytes: PERSONA_LIMITS.definitionBytes,
      });
    }
    await this.assertChatModel(executor, definition.defaultModel);
    // Avatars are never deleted, so checking outside the transaction is enough.
    if (definition.avatar && !(await this.avatars.exists(definition.avatar))) {
      throw new DoppelError(ErrorCode.AvatarNotFound, `No avatar ${definition.avatar} has been uploaded; upload the image first (POST /avatars).`);
    }
  }

  private async assertChatModel(executor: Kysely<Database>, modelId: string): Promise<void> {
    const model = await executor.selectFrom('models').select('kind').where('id', '=', modelId).executeTakeFirst();
    if (model?.kind !== 'chat') {
      throw new DoppelError(ErrorCode.ModelInvalid, `defaultModel ${modelId} is not a registered chat model (GET /models lists them).`, { modelId });
    }
  }

  private async insertVersion(trx: Transaction<Database>, personaId: string, version: number, definition: PersonaDefinition) {
    const inserted = await trx
      .insertInto('persona_versions')
      .values({ persona_id: personaId, version, content_hash: personaContentHash(definition), definition: JSON.stringify(definition) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.updateTable('personas').set({ current_version_id: inserted.id }).where('id', '=', personaId).execute();
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

function problemsOf(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
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

function diffFields(before: Record<string, unknown>, after: Record<string, unknown>, prefix: string): VersionDiff['changes'] {
  const changes: VersionDiff['changes'] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const field = prefix ? `${prefix}.${key}` : key;
    const a = before[key];
    const b = after[key];
    const bothObjects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (bothObjects) changes.push(...diffFields(a as Record<string, unknown>, b as Record<string, unknown>, field));
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ field, from: a ?? null, to: b ?? null });
  }
  return changes;
}
