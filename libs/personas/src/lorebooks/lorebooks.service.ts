// Standalone lorebooks (World Info): a creator's own books, attached to any of their personas. Attaching copies the
// book into the persona's next version; editing or deleting a book makes new versions of the personas that carry it,
// in the same transaction, so a persona never points at a book that is not there.
import { Injectable } from '@nestjs/common';
import { isUuid } from '@doppel/db';
import { canonicalJson, DoppelError, ErrorCode, errorCodeOfIssues, sha256Hex } from '@doppel/protocol';
import { standaloneLorebookSchema, type StandaloneLorebook } from '../persona-definition';
import { PersonasService } from '../personas.service';
import { LorebookRepository } from './lorebook.repository';
import type { LorebookSummary, LorebookView } from '../persona-views';

export type { LorebookSummary, LorebookView };

const notFound = (lorebookId: string) => new DoppelError(ErrorCode.LorebookNotFound, `Lorebook ${lorebookId} does not exist or is not yours.`);

@Injectable()
export class LorebooksService {
  constructor(
    private readonly lorebooks: LorebookRepository,
    private readonly personas: PersonasService,
  ) {}

  async create(ownerId: string, input: unknown): Promise<LorebookView> {
    const book = parseBook(input);
    const lorebookId = await this.lorebooks.insert(ownerId, book, hashOf(book));
    return this.get(lorebookId, ownerId);
  }

  async list(ownerId: string): Promise<LorebookSummary[]> {
    return (await this.lorebooks.listByOwner(ownerId)).map((row) => ({
      id: row.id,
      name: row.book.name,
      entryCount: row.book.entries.length,
      contentHash: row.contentHash,
      attachedTo: row.attachedTo,
      updatedAt: row.updatedAt,
    }));
  }

  async get(lorebookId: string, ownerId: string): Promise<LorebookView> {
    const row = isUuid(lorebookId) ? await this.lorebooks.find(lorebookId, ownerId) : null;
    if (!row) throw notFound(lorebookId);
    return row;
  }

  /** The whole book replaced; every persona it is attached to gets a new version carrying the new entries. */
  async update(lorebookId: string, ownerId: string, input: unknown): Promise<LorebookView> {
    const book = parseBook(input);
    await this.lorebooks.transaction(async (trx) => {
      const row = isUuid(lorebookId) ? await this.lorebooks.find(lorebookId, ownerId, trx, true) : null;
      if (!row) throw notFound(lorebookId);
      const contentHash = hashOf(book);
      if (contentHash === row.contentHash) return;
      await this.lorebooks.update(lorebookId, book, contentHash, trx);
      for (const personaId of row.attachedTo) await this.personas.setAttachedLorebook(trx, personaId, ownerId, lorebookId, { ...book, id: lorebookId });
    });
    return this.get(lorebookId, ownerId);
  }

  async delete(lorebookId: string, ownerId: string): Promise<void> {
    await this.lorebooks.transaction(async (trx) => {
      const row = isUuid(lorebookId) ? await this.lorebooks.find(lorebookId, ownerId, trx, true) : null;
      if (!row) throw notFound(lorebookId);
      for (const personaId of row.attachedTo) await this.personas.setAttachedLorebook(trx, personaId, ownerId, lorebookId, null);
      await this.lorebooks.delete(lorebookId, trx);
    });
  }

  /** Only the owner of both may attach; the persona's next version carries the book. */
  async attach(lorebookId: string, personaId: string, ownerId: string): Promise<LorebookView> {
    await this.lorebooks.transaction(async (trx) => {
      const row = isUuid(lorebookId) ? await this.lorebooks.find(lorebookId, ownerId, trx, true) : null;
      if (!row) throw notFound(lorebookId);
      await this.personas.setAttachedLorebook(trx, personaId, ownerId, lorebookId, { ...row.book, id: lorebookId });
      await this.lorebooks.attach(lorebookId, personaId, trx);
    });
    return this.get(lorebookId, ownerId);
  }

  async detach(lorebookId: string, personaId: string, ownerId: string): Promise<LorebookView> {
    await this.lorebooks.transaction(async (trx) => {
      const row = isUuid(lorebookId) ? await this.lorebooks.find(lorebookId, ownerId, trx, true) : null;
      if (!row) throw notFound(lorebookId);
      if (!isUuid(personaId) || !(await this.lorebooks.detach(lorebookId, personaId, trx))) {
        throw new DoppelError(ErrorCode.PersonaNotFound, `Lorebook ${lorebookId} is not attached to persona ${personaId}.`);
      }
      await this.personas.setAttachedLorebook(trx, personaId, ownerId, lorebookId, null);
    });
    return this.get(lorebookId, ownerId);
  }
}

function parseBook(input: unknown): StandaloneLorebook {
  const parsed = standaloneLorebookSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
    throw new DoppelError(errorCodeOfIssues(parsed.error.issues), `The lorebook is not valid: ${problems}`, parsed.error.issues);
  }
  return parsed.data;
}

function hashOf(book: StandaloneLorebook): string {
  return sha256Hex(canonicalJson(book));
}
