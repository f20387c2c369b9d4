// Every file of the real-persona corpus (../shared/fixtures/real-personas, files written by other people, unedited)
// through the running gateway: sent as a file, imported as personas or a lorebook, checked against the file itself
// (name, greeting, the text the model gets, every lorebook entry's keys, Eliza knowledge as documents, what the
// report dropped), and each persona answers a chat turn. Skipped, saying so, where the corpus is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@doppel/db';
import { ErrorCode } from '@doppel/protocol';
import { api, connectChat, sendTurn, signUp, type ChatClient, type TurnResult } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, type Stack } from './support/processes';

const CORPUS = resolve(__dirname, '../../shared/fixtures/real-personas');
const present = existsSync(join(CORPUS, 'MANIFEST.md'));
if (!present) console.warn(`persona corpus: ${CORPUS} is absent, so the real-file import suite is skipped`);

/** What each file's report may drop, and nothing else: secrets, file references, a card's V1 copy, links. */
const DROPPED: Record<string, string[][]> = {
  'eliza-characterfile-example.character.json': [['knowledge[0]']],
  'eliza-v01-eternalai.character.json': [['settings.secrets']],
  'eliza-v01-trump.character.json': [['settings.secrets']],
  'llamacpp-main_hogwarts_sillytavern.json': [['(book).entries[0].keys (1 empty)']],
  'st-content-contest_Assistant_Amy.png': [['(root: name, description, creatorcomment, personality, first_mes, avatar, mes_example, scenario, create_date, talkativeness, tags, fav)']],
  'st-content-contest_Assistant_Sakana.png': [['(root: name, fav, description, first_mes, chat, create_date, creatorcomment, avatar, talkativeness)']],
  'st-default_Seraphina.png': [['(root: name, description, first_mes, avatar, chat, create_date, talkativeness, fav, creatorcomment)']],
  'tavernkit-ccv3_st_export_like.json': [['data.assets (1 besides the avatar)', '(root: name, description, personality, scenario, first_mes, mes_example, tags, creator)', 'data.assets[icon]']],
  'tavernkit-full_v3_card.json': [['data.assets[icon]']],
};

type Json = Record<string, any>;

/** The card JSON in a PNG's `ccv3` (else `chara`) tEXt chunk, read here without the code under test. */
function cardInPng(bytes: Buffer): Json {
  const texts: Record<string, string> = {};
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'tEXt') {
      const data = bytes.subarray(offset + 8, offset + 8 + length);
      const separator = data.indexOf(0);
      texts[data.toString('latin1', 0, separator)] = data.toString('latin1', separator + 1);
    }
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return JSON.parse(Buffer.from(texts.ccv3 ?? texts.chara!, 'base64').toString('utf8'));
}

/** The non-empty keys of each entry with content, as the source file lists them. */
function sourceEntryKeys(book: Json): string[][] {
  const entries: Json[] = Array.isArray(book.entries) ? book.entries : Object.values(book.entries);
  return entries
    .filter((entry) => typeof (entry.content ?? entry.entry) === 'string' && (entry.content ?? entry.entry).trim())
    .map((entry) => [...new Set<string>((entry.keys ?? entry.key ?? entry.keywords ?? []).map((key: string) => key.trim()).filter(Boolean))]);
}

const isOverloaded = (result: TurnResult) => (result.ack as { ok: boolean; error?: { code: string } }).error?.code === ErrorCode.Overloaded;

const fill = (text: string, name: string, user = 'User') => text.replace(/\{\{\s*(char|name|agentname)\s*\}\}/gi, name).replace(/\{\{\s*(user|user1|name1)\s*\}\}/gi, user);

describe.skipIf(!present)('real persona files (../shared/fixtures/real-personas)', () => {
  let stack: Stack;
  let db: Kysely<Database>;
  let creator: { id: string; apiKey: string };
  let socket: ChatClient;
  const personas: { file: string; id: string; name: string }[] = [];
  const lorebooks: { file: string; id: string; firstKey: string; firstContent: string }[] = [];
  const files = present ? readdirSync(CORPUS).filter((file) => file !== 'MANIFEST.md').sort() : [];

  beforeAll(async () => {
    stack = await startStack(['node-corpus']);
    db = testDatabase();
    creator = await signUp(stack.url, 'Corpus creator');
    socket = await connectChat(stack.url, creator.apiKey);
  });

  afterAll(async () => {
    socket?.close();
    await db?.destroy();
    await stack?.stop();
  });

  it('holds the 25 files the manifest lists', () => {
    expect(files).toHaveLength(25);
  });

  it('imports every file as it is, checked against the file itself', async () => {
    const call = api(stack.url, creator.apiKey);
    for (const [index, file] of files.entries()) {
      const bytes = readFileSync(join(CORPUS, file));
      // Half the files as multipart, half as the raw body, as browsers and curl send them.
      const form = new FormData();
      form.append('file', new Blob([bytes]), file);
      const response = await fetch(new URL(index % 2 ? '/personas/import' : `/personas/import?fileName=${encodeURIComponent(file)}`, stack.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${creator.apiKey}`, ...(index % 2 ? {} : { 'content-type': 'application/octet-stream' }) },
        body: index % 2 ? form : bytes,
      });
      const body = (await response.json()) as Json;

      if (file.endsWith('.ts')) {
        expect(response.status, file).toBe(400);
        expect(body.code, file).toBe(ErrorCode.ImportUnsupportedFormat);
        expect(body.message, file).toMatch(/program source.*Export the character as JSON/);
        continue;
      }
      expect(response.status, `${file}: ${JSON.stringify(body).slice(0, 300)}`).toBe(201);
      const source: Json | Json[] = file.endsWith('.png') ? cardInPng(bytes) : file.endsWith('.charx') ? {} : JSON.parse(bytes.toString('utf8'));

      if (body.kind === 'lorebook') {
        const book = (source as Json).spec === 'lorebook_v3' ? (source as Json).data : (source as Json);
        const keys = sourceEntryKeys(book);
        // A constant entry without keys gets its title as a stand-in key (it is never matched).
        expect(body.lorebook.book.entries.map((entry: Json) => entry.keys), file).toEqual(keys.map((entryKeys) => (entryKeys.length > 0 ? entryKeys : expect.any(Array))));
        expect(body.report.dropped.map((dropped: Json) => dropped.field), file).toEqual((DROPPED[file] ?? [[]])[0]);
        lorebooks.push({ file, id: body.lorebook.id, firstKey: body.lorebook.book.entries[0].keys[0], firstContent: body.lorebook.book.entries[0].content });
        continue;
      }

      const imported: Json[] = body.kind === 'personas' ? body.personas : [body];
      const characters: Json[] = Array.isArray(source) ? source : [source];
      expect(imported.map((item) => item.report.dropped.map((dropped: Json) => dropped.field)), file).toEqual(DROPPED[file] ?? imported.map(() => []));
      for (const [position, item] of imported.entries()) {
        const { persona, knowledge } = item;
        const character = characters[position] ?? {};
        const card: Json = character.data ?? character;
        const name: string = persona.definition.name;
        if (!file.endsWith('.charx')) expect(name, file).toBe(String(card.name).trim());
        personas.push({ file, id: persona.id, name });

        // The greeting, as written, and as the conversation opens.
        if (typeof card.first_mes === 'string') expect(persona.definition.greeting, file).toBe(card.first_mes);
        // Every entry of the card's book, with its keys.
        if (card.character_book) expect(persona.definition.lorebook.entries.map((entry: Json) => entry.keys), file).toEqual(sourceEntryKeys(card.character_book));
        // Eliza knowledge: the text items become one document per key.
        const texts = (key: string) => (Array.isArray(character[key]) && character[key].some((entry: unknown) => typeof entry === 'string' && entry.trim()) ? 1 : 0);
        expect(knowledge.length, file).toBe(texts('knowledge') + texts('documents'));
        // Card picture → avatar.
        if (file.endsWith('.png') || file.endsWith('.charx')) expect(persona.definition.avatar, file).toMatch(/^[0-9a-f]{64}$/);

        // The text the model gets starts with the persona's own words.
        const { visibility: _visibility, ...definition } = persona.definition;
        const preview = await call('POST', '/personas/preview-prompt', { persona: definition, sampleMessage: 'Hello there.' });
        expect(preview.status, file).toBe(200);
        const system: string = preview.body.messages[0].content;
        const opening = (persona.definition.systemPrompt || persona.definition.description).trim();
        expect(system, file).toContain(fill(opening, name).replace(/\{\{original\}\}/g, '').trim().slice(0, 120));
      }
    }
    expect(personas.length).toBe(22);
    expect(lorebooks.map((lorebook) => lorebook.file).sort()).toEqual([
      'llamacpp-main_hogwarts-legacy-lore_agnai.json',
      'llamacpp-main_hogwarts_sillytavern.json',
      'llamacpp-main_lorebook-honkai-impact_sillytavern.json',
      'st-Eldoria.json',
    ]);
  });

  it('answers a chat turn with each imported persona, lorebooks attached', async () => {
    const call = api(stack.url, creator.apiKey);
    // Each lorebook attached to a persona, and that persona asked about the book's first key.
    const withBook = new Map<string, (typeof lorebooks)[number]>();
    for (const [index, lorebook] of lorebooks.entries()) {
      const persona = personas[index]!;
      expect((await call('POST', `/lorebooks/${lorebook.id}/personas/${persona.id}`)).status, lorebook.file).toBe(200);
      withBook.set(persona.id, lorebook);
    }
    // Four at a time, as a few users would; a gateway that sheds load (OVERLOADED) is asked again when it says.
    const queue = [...personas];
    const turns: { persona: (typeof personas)[number]; lorebook?: (typeof lorebooks)[number]; result: TurnResult }[] = [];
    const chatter = async () => {
      for (let persona = queue.shift(); persona; persona = queue.shift()) {
        const conversation = await call('POST', '/conversations', { personaId: persona.id });
        expect(conversation.status, persona.file).toBe(201);
        const lorebook = withBook.get(persona.id);
        const text = lorebook ? `Tell me about ${lorebook.firstKey}.` : 'Hello! Who are you?';
        let result = await sendTurn(socket, { conversationId: conversation.body.id, text }, 60_000);
        for (let attempt = 0; attempt < 20 && isOverloaded(result); attempt++) {
          await new Promise((resolveWait) => setTimeout(resolveWait, 500));
          result = await sendTurn(socket, { conversationId: conversation.body.id, text }, 60_000);
        }
        turns.push({ persona, lorebook, result });
      }
    };
    await Promise.all([chatter(), chatter(), chatter(), chatter()]);
    for (const { persona, lorebook, result } of turns) {
      expect(JSON.stringify(result.ack), `${persona.file} (${persona.name})`).toContain("\"ok\":true");
      expect(result.error, `${persona.file} (${persona.name})`).toBeNull();
      expect(result.done?.text.length, persona.file).toBeGreaterThan(0);
      const turnId = (result.ack as { turnId: string }).turnId;
      const row = await db.selectFrom('turns').select(['prompt', 'status']).where('id', '=', turnId).executeTakeFirstOrThrow();
      expect(row.status, persona.file).toBe('done');
      const system = (row.prompt as { messages: { role: string; content: string }[] }).messages[0]!.content;
      expect(system, persona.file).toContain(persona.name);
      // A constant entry larger than its book's budget cannot enter the prompt (the import warned); the others do.
      if (lorebook && lorebook.file !== 'llamacpp-main_hogwarts_sillytavern.json') expect(system, lorebook.file).toContain(fill(lorebook.firstContent, persona.name, 'Corpus creator').trim().slice(0, 60));
    }
  });
});
