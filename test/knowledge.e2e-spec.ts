// Persona knowledge end to end: a creator uploads a document, a worker chunks and embeds it, and a chunk enters a
// real turn's stored prompt exactly when the message is about it; re-uploads swap chunks, deletes remove them.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '@doppel/config';
import type { Database } from '@doppel/db';
import { HashingEmbedder } from '@doppel/inference';
import { KnowledgeRepository } from '@doppel/knowledge';
import { ErrorCode } from '@doppel/protocol';
import { KNOWLEDGE_HEADER } from '@doppel/turns';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, waitFor, type Stack } from './support/processes';

const MAX_BYTES = 4096;
const QUESTION = 'Where is the Zephyrine observatory?';
const UNRELATED = 'hello, how are you today?';

const ATLAS = [
  '# Atlas of the Northern Reaches',
  '## Zephyrine observatory',
  'The Zephyrine observatory sits on the north ridge above Qalbern, reachable by the old funicular.',
  '## Harbour',
  'Fishing boats leave the harbour before dawn and return with herring.',
].join('\n\n');
const ATLAS_MOVED = ATLAS.replace('sits on the north ridge above Qalbern, reachable by the old funicular', 'moved in 1901 to the island of Vellmar, beside the salt lakes');

interface StoredTurn {
  prompt: { messages: { role: string; content: string }[] };
  retrieved_knowledge_ids: string[];
}

describe('knowledge documents', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  let carol: { id: string; apiKey: string };
  let personaId: string;
  let bobSocket: ChatClient;
  let carolSocket: ChatClient;

  const asAlice = () => api(stack.url, alice.apiKey);

  /** Sends one message in a new conversation (so history cannot carry anything) and reads the turn as stored. */
  async function turnAbout(socket: ChatClient, apiKey: string, text: string): Promise<StoredTurn> {
    const conversationId = (await api(stack.url, apiKey)('POST', '/conversations', { personaId })).body.id as string;
    const result = await sendTurn(socket, { conversationId, text });
    expect(result.done, JSON.stringify(result.error)).not.toBeNull();
    const turnId = (result.ack as { turnId: string }).turnId;
    return (await db.selectFrom('turns').select(['prompt', 'retrieved_knowledge_ids']).where('id', '=', turnId).executeTakeFirstOrThrow()) as StoredTurn;
  }

  const systemOf = (turn: StoredTurn) => turn.prompt.messages[0]!.content;

  async function waitUntilIndexed(documentId: string, revision: number) {
    return waitFor(async () => {
      const response = await asAlice()('GET', `/personas/${personaId}/knowledge/${documentId}`);
      return response.body.status === 'ready' && response.body.indexedRevision === revision ? response.body : null;
    }, `document ${documentId} revision ${revision} to be indexed`);
  }

  /** The document itself as the body, as `curl --data-binary @atlas.md -H 'content-type: text/markdown'` sends it. */
  async function rawUpload(method: string, path: string, body: string, contentType: string): Promise<{ status: number; body: any }> {
    const response = await fetch(new URL(path, stack.url), { method, headers: { authorization: `Bearer ${alice.apiKey}`, 'content-type': contentType }, body });
    return { status: response.status, body: await response.json() };
  }

  beforeAll(async () => {
    stack = await startStack(['node-kn'], { KNOWLEDGE_MAX_BYTES: String(MAX_BYTES) });
    db = testDatabase();
    alice = await signUp(stack.url, 'Alice');
    bob = await signUp(stack.url, 'Bob');
    carol = await signUp(stack.url, 'Carol');
    const created = await asAlice()('POST', '/personas', { name: 'Cartographer', description: 'Keeps the atlas.', generation: { maxTokens: 12 } });
    expect(created.status).toBe(201);
    personaId = created.body.id;
    bobSocket = await connectChat(stack.url, bob.apiKey);
    carolSocket = await connectChat(stack.url, carol.apiKey);
  });

  afterAll(async () => {
    bobSocket?.close();
    carolSocket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('indexes an upload in the background, enters a real prompt only when the message is about it, and forgets it on delete', async () => {
    const uploaded = await asAlice()('POST', `/personas/${personaId}/knowledge`, { title: 'Atlas', mediaType: 'text/markdown', content: ATLAS });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ title: 'Atlas', mediaType: 'text/markdown', revision: 1, status: 'pending', indexedRevision: null, bytes: Buffer.byteLength(ATLAS) });
    const documentId = uploaded.body.id as string;

    const ready = await waitUntilIndexed(documentId, 1);
    const chunks = await db.selectFrom('knowledge_chunks').selectAll().where('document_id', '=', documentId).orderBy('ordinal').execute();
    expect(ready.chunkCount).toBe(chunks.length);
    expect(chunks.map((chunk) => chunk.content)).toEqual([
      '# Atlas of the Northern Reaches\n## Zephyrine observatory\n\nThe Zephyrine observatory sits on the north ridge above Qalbern, reachable by the old funicular.',
      '# Atlas of the Northern Reaches\n## Harbour\n\nFishing boats leave the harbour before dawn and return with herring.',
    ]);
    for (const chunk of chunks) expect(chunk).toMatchObject({ persona_id: personaId, revision: 1, embedding_model: 'hashing-384', embedding_dims: 384 });
    const listed = await asAlice()('GET', `/personas/${personaId}/knowledge`);
    expect(listed.body).toEqual([expect.objectContaining({ id: documentId, status: 'ready', chunkCount: 2 })]);

    // Relevant: the observatory chunk is in the stored prompt, under the knowledge header; the harbour chunk is not.
    const relevant = await turnAbout(bobSocket, bob.apiKey, QUESTION);
    expect(relevant.retrieved_knowledge_ids).toEqual([chunks[0]!.id]);
    expect(systemOf(relevant)).toContain(`${KNOWLEDGE_HEADER}\n[Atlas]\n${chunks[0]!.content}`);
    expect(systemOf(relevant)).not.toContain('herring');

    // Shared by every consumer of the persona.
    const carolTurn = await turnAbout(carolSocket, carol.apiKey, QUESTION);
    expect(carolTurn.retrieved_knowledge_ids).toEqual([chunks[0]!.id]);
    expect(systemOf(carolTurn)).toContain('Qalbern');

    // Unrelated: no chunk, no header.
    const unrelated = await turnAbout(bobSocket, bob.apiKey, UNRELATED);
    expect(unrelated.retrieved_knowledge_ids).toEqual([]);
    expect(systemOf(unrelated)).not.toContain(KNOWLEDGE_HEADER);
    expect(JSON.stringify(unrelated.prompt)).not.toContain('Qalbern');

    // Knowledge is the persona's, not copied into any consumer's memories.
    const copied = await db.selectFrom('memories').select('id').where('persona_id', '=', personaId).where('content', 'like', '%Qalbern%').execute();
    expect(copied).toEqual([]);

    const deleted = await asAlice()('DELETE', `/personas/${personaId}/knowledge/${documentId}`);
    expect(deleted.status).toBe(204);
    expect(await db.selectFrom('knowledge_chunks').select('id').where('document_id', '=', documentId).execute()).toEqual([]);
    expect((await asAlice()('GET', `/personas/${personaId}/knowledge/${documentId}`)).body.code).toBe(ErrorCode.KnowledgeNotFound);
    const afterDelete = await turnAbout(bobSocket, bob.apiKey, QUESTION);
    expect(afterDelete.retrieved_knowledge_ids).toEqual([]);
    expect(JSON.stringify(afterDelete.prompt)).not.toContain('Qalbern');
  });

  it('replaces the chunks on re-upload: the new text serves once indexed, the old is gone', async () => {
    const uploaded = await rawUpload('POST', `/personas/${personaId}/knowledge?title=Atlas`, ATLAS, 'text/markdown; charset=utf-8');
    expect(uploaded.status).toBe(201);
    const documentId = uploaded.body.id as string;
    await waitUntilIndexed(documentId, 1);
    expect(systemOf(await turnAbout(bobSocket, bob.apiKey, QUESTION))).toContain('Qalbern');

    const replaced = await asAlice()('PUT', `/personas/${personaId}/knowledge/${documentId}`, { title: 'Atlas, revised', mediaType: 'text/markdown', content: ATLAS_MOVED });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: documentId, title: 'Atlas, revised', revision: 2, status: 'pending' });
    await waitUntilIndexed(documentId, 2);

    const chunks = await db.selectFrom('knowledge_chunks').select(['content', 'revision']).where('document_id', '=', documentId).execute();
    expect(chunks.every((chunk) => chunk.revision === 2)).toBe(true);
    expect(chunks.some((chunk) => chunk.content.includes('Vellmar'))).toBe(true);
    expect(chunks.some((chunk) => chunk.content.includes('Qalbern'))).toBe(false);
    const turn = await turnAbout(bobSocket, bob.apiKey, QUESTION);
    expect(systemOf(turn)).toContain('[Atlas, revised]');
    expect(systemOf(turn)).toContain('Vellmar');
    expect(JSON.stringify(turn.prompt)).not.toContain('Qalbern');
  });

  it('keeps the previous chunks serving until the new revision is indexed, and never lets a late job for an old revision win', async () => {
    const config = loadConfig({ DATABASE_URL: inject('databaseUrl') });
    const repository = new KnowledgeRepository(db, config);
    const embedder = new HashingEmbedder(384);
    const embedded = async (content: string) => ({ content, embedding: (await embedder.embed([content]))[0]! });
    const search = async () =>
      (await repository.search({ personaId, embeddingModel: embedder.modelId, embedding: (await embedder.embed(['Where is the Oskarn lighthouse?']))[0]!, limit: 10 })).filter(
        (hit) => hit.documentTitle === 'Lighthouses',
      );

    // Written straight to the repository, so no worker job races with the steps below.
    const document = await repository.create(personaId, { title: 'Lighthouses', mediaType: 'text/plain', content: 'The Oskarn lighthouse is painted red.' }, embedder.modelId);
    expect(await repository.replaceChunks(document.id, 1, embedder.modelId, [await embedded('The Oskarn lighthouse is painted red.')])).toBe(true);

    const revised = await repository.replaceContent(personaId, document.id, { title: 'Lighthouses', mediaType: 'text/plain', content: 'The Oskarn lighthouse is painted white.' }, embedder.modelId);
    expect(revised).toMatchObject({ revision: 2, status: 'pending', indexedRevision: 1, chunkCount: 1 });
    expect((await search()).map((hit) => hit.content)).toEqual(['The Oskarn lighthouse is painted red.']);

    // A job for revision 1 finishing late changes nothing.
    expect(await repository.replaceChunks(document.id, 1, embedder.modelId, [await embedded('stale text')])).toBe(false);
    await repository.markFailed(document.id, 1, 'late failure');
    expect(await repository.get(personaId, document.id)).toMatchObject({ revision: 2, status: 'pending', error: null });
    expect((await search()).map((hit) => hit.content)).toEqual(['The Oskarn lighthouse is painted red.']);

    expect(await repository.replaceChunks(document.id, 2, embedder.modelId, [await embedded('The Oskarn lighthouse is painted white.')])).toBe(true);
    expect((await search()).map((hit) => hit.content)).toEqual(['The Oskarn lighthouse is painted white.']);
    expect(await repository.get(personaId, document.id)).toMatchObject({ revision: 2, status: 'ready', indexedRevision: 2, chunkCount: 1 });
  });

  it('refuses uploads that are too large, empty, of another type, or not from the creator, each with its own code', async () => {
    const path = `/personas/${personaId}/knowledge`;
    const tooBig = await asAlice()('POST', path, { title: 'Big', mediaType: 'text/plain', content: 'x'.repeat(MAX_BYTES + 1) });
    expect(tooBig).toMatchObject({ status: 413, body: { code: ErrorCode.KnowledgeTooLarge } });
    expect(tooBig.body.message).toContain(String(MAX_BYTES));
    const tooBigRaw = await rawUpload('POST', `${path}?title=Big`, 'x'.repeat(MAX_BYTES + 1), 'text/plain');
    expect(tooBigRaw).toMatchObject({ status: 413, body: { code: ErrorCode.KnowledgeTooLarge } });

    expect(await asAlice()('POST', path, { title: 'Empty', mediaType: 'text/plain', content: ' \n ' })).toMatchObject({ status: 400, body: { code: ErrorCode.KnowledgeEmpty } });
    expect(await asAlice()('POST', path, { title: 'Scan', mediaType: 'application/pdf', content: '%PDF-1.7' })).toMatchObject({
      status: 415,
      body: { code: ErrorCode.KnowledgeUnsupportedType },
    });
    expect(await rawUpload('POST', `${path}?title=Scan`, '%PDF-1.7', 'application/pdf')).toMatchObject({ status: 415, body: { code: ErrorCode.KnowledgeUnsupportedType } });
    expect(await asAlice()('POST', path, { mediaType: 'text/plain', content: 'no title' })).toMatchObject({ status: 400, body: { code: ErrorCode.ValidationFailed } });

    // Bob can chat with the public persona but cannot read or change its knowledge.
    expect(await api(stack.url, bob.apiKey)('POST', path, { title: 'Planted', mediaType: 'text/plain', content: 'Bob was here.' })).toMatchObject({
      status: 403,
      body: { code: ErrorCode.Forbidden },
    });
    expect(await api(stack.url, bob.apiKey)('GET', path)).toMatchObject({ status: 403, body: { code: ErrorCode.Forbidden } });
    expect(await asAlice()('PUT', `${path}/00000000-0000-4000-8000-000000000000`, { title: 'x', content: 'y' })).toMatchObject({
      status: 404,
      body: { code: ErrorCode.KnowledgeNotFound },
    });

    const titles = ((await asAlice()('GET', path)).body as { title: string }[]).map((document) => document.title);
    expect(titles).not.toContain('Big');
    expect(titles).not.toContain('Planted');
  });
});
