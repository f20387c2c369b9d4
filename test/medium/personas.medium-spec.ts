// PersonasService against the real database: versions, visibility, search, access rules and archiving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersonasModule, PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { mediumTest, seedAccount, type Medium } from '../support/medium';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (thrown: unknown) => thrown);
  if (!(error instanceof DoppelError)) throw new Error(`expected a DoppelError, got ${String(error)}`);
  return error.code;
}

describe('PersonasService', () => {
  let m: Medium;
  let personas: PersonasService;
  let ownerId: string;
  let viewerId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'personas', imports: [PersonasModule] });
    personas = m.get(PersonasService);
    ownerId = await seedAccount(m.db, 'Owner');
    viewerId = await seedAccount(m.db, 'Viewer');
  });
  afterAll(async () => m?.close());

  it('creates version 1 with the default model and a content hash; an edit adds a version, a no-op does not', async () => {
    const created = await personas.create(ownerId, { name: 'Ada', description: 'Keeps a lighthouse.' });
    expect(created).toMatchObject({ version: 1, status: 'active', visibility: 'public', definition: { name: 'Ada', defaultModel: m.config.models.defaultChatModel } });
    expect(created.contentHash).toMatch(/^0x[0-9a-f]{64}$|^[0-9a-f]{64}$/);

    const edited = await personas.update(created.id, ownerId, { personality: 'Dry humour.' });
    expect(edited.version).toBe(2);
    const unchanged = await personas.update(created.id, ownerId, { personality: 'Dry humour.' });
    expect(unchanged.version).toBe(2);

    const versions = await personas.listVersions(created.id, ownerId);
    expect(versions.map((version) => version.version)).toEqual([1, 2]);
    const diff = await personas.diffVersions(created.id, ownerId, 1, 2);
    expect(diff.changes).toEqual([{ field: 'personality', from: '', to: 'Dry humour.' }]);
    // A version is immutable, so the turn path may cache it by id.
    expect((await personas.getVersion(created.versionId)).definition.personality).toBe('');
  });

  it('refuses a model that is not a registered chat model and an edit by anyone but the owner', async () => {
    expect(await codeOf(personas.create(ownerId, { name: 'Bad', defaultModel: 'no-such-model' }))).toBe(ErrorCode.ModelInvalid);
    const persona = await personas.create(ownerId, { name: 'Bo' });
    expect(await codeOf(personas.update(persona.id, viewerId, { description: 'mine now' }))).toBe(ErrorCode.PersonaNotFound);
  });

  it('shows private and archived personas to their owner only', async () => {
    const hidden = await personas.create(ownerId, { name: 'Cy', visibility: 'private' });
    expect((await personas.getVisible(hidden.id, ownerId)).visibility).toBe('private');
    expect(await codeOf(personas.getVisible(hidden.id, viewerId))).toBe(ErrorCode.PersonaNotFound);
    expect(await codeOf(personas.getVisible('not-a-uuid', ownerId))).toBe(ErrorCode.PersonaNotFound);

    const archived = await personas.archive((await personas.create(ownerId, { name: 'Di' })).id, ownerId);
    expect(archived.status).toBe('archived');
    expect(await codeOf(personas.getVisible(archived.id, viewerId))).toBe(ErrorCode.PersonaNotFound);
    expect(await codeOf(personas.update(archived.id, ownerId, { description: 'x' }))).toBe(ErrorCode.PersonaArchived);
  });

  it('reads the access rule from the current version: owner, name and share gate', async () => {
    const gate = { twinId: `0x${'ab'.repeat(32)}`, minShares: 2 };
    const persona = await personas.create(ownerId, { name: 'Eve', sharesGate: gate });
    expect(await personas.accessRule(persona.id, viewerId)).toEqual({ ownerId, name: 'Eve', sharesGate: gate });
    await personas.update(persona.id, ownerId, { name: 'Eve II', sharesGate: null });
    expect(await personas.accessRule(persona.id, viewerId)).toEqual({ ownerId, name: 'Eve II' });
  });

  it('searches name, description and tags, filters by tag, and pages newest first', async () => {
    const searcher = await seedAccount(m.db, 'Searcher');
    const made = [];
    for (const [name, description, tags] of [
      ['Fenwick', 'a harbour pilot', ['sea']],
      ['Gale', 'reads the Weather', ['sky', 'sea']],
      ['Hollis', 'bakes bread', ['kitchen']],
    ] as const) {
      made.push(await personas.create(searcher, { name, description, tags: [...tags], visibility: 'private' }));
    }
    const mine = (options: { search?: string; tag?: string }) => personas.list(searcher, { limit: 10, mine: true, ...options }).then((page) => page.items.map((item) => item.definition.name));
    expect(await mine({ search: 'weather' })).toEqual(['Gale']);
    expect(await mine({ search: 'HOLL' })).toEqual(['Hollis']);
    expect(await mine({ search: 'sea' })).toEqual(['Gale', 'Fenwick']);
    expect(await mine({ tag: 'kitchen' })).toEqual(['Hollis']);
    // Wildcards in a search are literal.
    expect(await mine({ search: '%' })).toEqual([]);

    const first = await personas.list(searcher, { limit: 2, mine: true });
    expect(first.items.map((item) => item.id)).toEqual([made[2]!.id, made[1]!.id]);
    const second = await personas.list(searcher, { limit: 2, mine: true, cursor: first.nextCursor! });
    expect(second.items.map((item) => item.id)).toEqual([made[0]!.id]);
    expect(second.nextCursor).toBeNull();
  });

  it('creates several personas in one transaction: all or none', async () => {
    const before = await m.db.selectFrom('personas').select('id').where('owner_id', '=', ownerId).execute();
    expect(await codeOf(personas.createMany(ownerId, [{ name: 'One' }, { name: 'Two', defaultModel: 'no-such-model' }]))).toBe(ErrorCode.ModelInvalid);
    expect(await m.db.selectFrom('personas').select('id').where('owner_id', '=', ownerId).execute()).toHaveLength(before.length);
    expect((await personas.createMany(ownerId, [{ name: 'One' }, { name: 'Two' }])).map((persona) => persona.definition.name)).toEqual(['One', 'Two']);
  });
});
