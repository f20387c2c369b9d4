import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { isUuid, type Database, type Page } from '@doppel/db';
import { DoppelError, ErrorCode, errorCodeOfIssues, personaContentHash } from '@doppel/protocol';
import { attachableModel, ZkModelError } from '@doppel/zkml';
import { AvatarRepository } from './avatars/avatar.repository';
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
import { PersonasRepository } from './personas.repository';
import type { PersonaVersion, PersonaView, VersionDiff } from './persona-views';

export type { PersonaVersion, PersonaView, VersionDiff };

export type PersonaPage = Page<PersonaView>;

const notFound = (personaId: string) =>
  new DoppelError(ErrorCode.PersonaNotFound, `Persona ${personaId} does not exist or is not visible to you.`);

@Injectable()
export class PersonasService {
  constructor(
    private readonly repository: PersonasRepository,
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
      await this.assertStorable(parsed.data);
      prepared.push({ visibility: visibility ?? 'public', definition: parsed.data });
    }
    const personaIds = await this.repository.insertMany(ownerId, prepared);
    return Promise.all(personaIds.map((personaId) => this.getVisible(personaId, ownerId)));
  }

  /** Editing never changes a version: it adds one (unless the definition did not change). */
  async update(personaId: string, editorId: string, patch: UpdatePersonaInput): Promise<PersonaView> {
    if (!isUuid(personaId)) throw notFound(personaId);
    const { visibility, ...definitionPatch } = patch;
    await this.repository.transaction(async (trx) => {
      await this.revise(trx, personaId, editorId, (current) => {
        const merged: Record<string, unknown> = { ...current, ...definitionPatch };
        // `avatar: null` takes the picture away.
        if (merged.avatar === null) delete merged.avatar;
        // `sharesGate: null` opens the persona to everyone again.
        if (merged.sharesGate === null) delete merged.sharesGate;
        if (merged.attachedModels === null) delete merged.attachedModels;
        return merged;
      });
      if (visibility) await this.repository.setVisibility(trx, personaId, visibility);
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
    const current = await this.repository.lockCurrent(trx, personaId);
    if (!current || current.ownerId !== editorId) throw notFound(personaId);
    if (current.status === 'archived') {
      if (options.archived === 'skip') return;
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; archived personas cannot be edited.`);
    }
    const parsed = personaDefinitionSchema.safeParse(change(current.definition));
    if (!parsed.success) {
      throw new DoppelError(errorCodeOfIssues(parsed.error.issues), `The edited persona is not valid: ${problemsOf(parsed.error.issues)}`, parsed.error.issues);
    }
    await this.assertStorable(parsed.data);
    if (personaContentHash(parsed.data) !== current.contentHash) {
      await this.repository.insertVersion(trx, personaId, current.version + 1, parsed.data);
    }
  }

  async archive(personaId: string, ownerId: string): Promise<PersonaView> {
    if (!isUuid(personaId)) throw notFound(personaId);
    if (!(await this.repository.archive(personaId, ownerId))) throw notFound(personaId);
    return this.getVisible(personaId, ownerId);
  }

  /** Public personas, plus the viewer's own (private or archived). Unknown and invisible look the same. */
  async getVisible(personaId: string, viewerId: string): Promise<PersonaView> {
    // Ids that are not UUIDs are simply unknown (and would otherwise be a database error).
    if (!isUuid(personaId)) throw notFound(personaId);
    const persona = await this.repository.findVisible(personaId, viewerId);
    if (!persona) throw notFound(personaId);
    return persona;
  }

  /**
   * Who may use the persona, read small (the turn path asks on every turn): its owner, name and share gate from the
   * current version, without the rest of the definition. Same visibility rule as getVisible.
   */
  async accessRule(personaId: string, viewerId: string): Promise<{ ownerId: string; name: string; sharesGate?: SharesGate }> {
    if (!isUuid(personaId)) throw notFound(personaId);
    const rule = await this.repository.findAccessRule(personaId, viewerId);
    if (!rule) throw notFound(personaId);
    return { ownerId: rule.ownerId, name: rule.name, ...(rule.sharesGate ? { sharesGate: rule.sharesGate } : {}) };
  }

  /**
   * Public personas and the viewer's own, newest first. `search` matches name, description or a tag (case-insensitive
   * substring); `tag` keeps personas carrying exactly that tag.
   */
  async list(viewerId: string, options: { limit: number; cursor?: string; mine?: boolean; search?: string; tag?: string }): Promise<PersonaPage> {
    return this.repository.list(viewerId, options);
  }

  /** Every version of a persona the viewer can see, oldest first. */
  async listVersions(personaId: string, viewerId: string): Promise<Omit<PersonaVersion, 'definition'>[]> {
    await this.getVisible(personaId, viewerId);
    return this.repository.listVersions(personaId);
  }

  /** Field-level changes between two versions (nested fields as dotted paths, lists compared whole). */
  async diffVersions(personaId: string, viewerId: string, fromVersion: number, toVersion: number): Promise<VersionDiff> {
    await this.getVisible(personaId, viewerId);
    const rows = await this.repository.definitionsOf(personaId, [fromVersion, toVersion]);
    const from = rows.find((row) => row.version === fromVersion);
    const to = rows.find((row) => row.version === toVersion);
    if (!from || !to) {
      throw new DoppelError(ErrorCode.ValidationFailed, `Persona ${personaId} has no version ${!from ? fromVersion : toVersion}.`);
    }
    return { from: fromVersion, to: toVersion, changes: diffFields(from.definition, to.definition, '') };
  }

  async hasConversationWith(personaId: string, consumerId: string): Promise<boolean> {
    if (!isUuid(personaId)) return false;
    return this.repository.hasConversationWith(personaId, consumerId);
  }

  /** Versions never change, so callers may cache the result forever. */
  async getVersion(versionId: string): Promise<PersonaVersion> {
    const version = await this.repository.findVersion(versionId);
    if (!version) throw new DoppelError(ErrorCode.PersonaNotFound, `Persona version ${versionId} does not exist.`);
    return version;
  }

  /** A definition may be stored when its model is a chat model, its avatar was uploaded, and it is not too large. */
  private async assertStorable(definition: PersonaDefinition): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(definition), 'utf8');
    if (bytes > PERSONA_LIMITS.definitionBytes) {
      throw new DoppelError(ErrorCode.PersonaTooLarge, `The persona is ${bytes} bytes as JSON; a persona holds at most ${PERSONA_LIMITS.definitionBytes}. Move reference text into knowledge documents.`, {
        limitBytes: PERSONA_LIMITS.definitionBytes,
      });
    }
    if (!(await this.repository.isChatModel(definition.defaultModel))) {
      throw new DoppelError(ErrorCode.ModelInvalid, `defaultModel ${definition.defaultModel} is not a registered chat model (GET /models lists them).`, { modelId: definition.defaultModel });
    }
    for (const name of definition.attachedModels ?? []) this.assertAttachable(name);
    // Avatars are never deleted, so checking outside the transaction is enough.
    if (definition.avatar && !(await this.avatars.exists(definition.avatar))) {
      throw new DoppelError(ErrorCode.AvatarNotFound, `No avatar ${definition.avatar} has been uploaded; upload the image first (POST /avatars).`);
    }
  }

  /** An attached model must exist here with a zk setup and read the embeddings this deployment makes. */
  private assertAttachable(name: string): void {
    let input: { embeddingModel: string };
    try {
      input = attachableModel(this.config.models.dir, name).config.input;
    } catch (error) {
      if (!(error instanceof ZkModelError)) throw error;
      throw new DoppelError(ErrorCode.ModelInvalid, `attachedModels: ${error.message}.`, { model: name });
    }
    if (input.embeddingModel !== this.config.models.embeddingModel) {
      throw new DoppelError(
        ErrorCode.ModelInvalid,
        `attachedModels: ${name} reads ${input.embeddingModel} embeddings of the reply, and this deployment embeds with ${this.config.models.embeddingModel} (EMBEDDING_MODEL).`,
        { model: name },
      );
    }
  }
}

function problemsOf(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
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
