// Reply quality of the shipped chat models on the demo persona: the user messages of chat-quality-set.json go through
// the runtime's own prompt assembly (assemblePrompt, the default config's history and memory sizes, memories made from
// each turn with extractFacts and found by cosine with doppel-embed-small, as the turn runner does) and the ONNX chat
// backend with the persona's sampling parameters and fixed seeds. Prints a side-by-side table and writes
// results/chat-quality.json with every transcript.
// The English-word share counts the words of the replies (letters, with an apostrophe ending such as "I'm" or "Zed's"
// read by its stem; numbers are not words) that an-array-of-english-words has, or that the prompt the model was given
// holds: a name the user or the persona card gave ("Zed", "Lisbon", "Hebrides") is English here, a name the model
// brought from its training data is not. The misses are printed and counted by kind (capitalised / other).
//   npm run bench:chat-quality [-- model-id ...]        (default: doppel-nano-chat doppel-mini-chat doppel-mini-chat-2)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { loadConfig } from '@doppel/config';
import { OnnxChatBackend, OnnxEmbeddingBackend, type GenerationTrace } from '@doppel/inference';
import { extractFacts, factSlot } from '@doppel/memory';
import { hashModelFolder } from '@doppel/models';
import { personaDefinitionSchema } from '@doppel/personas';
import { assemblePrompt, type PromptMemory } from '@doppel/turns';
import { DEMO_PERSONA } from '../../apps/cli/src/seed.command';
import { machine, writeResult } from './bench-support';
import { replyMetrics, type ScoredReply } from './chat-quality-metrics';

const ROOT = resolve(__dirname, '../..');
const MODELS_DIR = resolve(ROOT, 'models');
const CHAT_TEMPLATE_RESERVE = 32; // as the turn runner leaves for the template's own tokens
// The npm package an-array-of-english-words (MIT): ~275,000 lowercase English words, independent of the training data.
const englishWords = createRequire(__filename)('an-array-of-english-words') as string[];

interface SetMessage {
  text: string;
  tag: string;
  expects?: string[];
  expectsUnknown?: boolean;
}
interface QualitySet {
  conversations: { user: string; messages: SetMessage[] }[];
}

interface StoredMemory {
  id: string;
  kind: PromptMemory['kind'];
  content: string;
  embedding: Float32Array;
}

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return 1 - dot; // both unit length
}

/** The distinct assistant lines the model was trained on (rebuilt by its build scripts' seeded code), or null. */
function trainingLines(modelId: string): Set<string> | null {
  const script = resolve(MODELS_DIR, 'scripts', 'training_replies.py');
  if (!existsSync('/usr/bin/python3')) return null;
  try {
    const out = execFileSync('/usr/bin/python3', [script, modelId], { maxBuffer: 64 * 2 ** 20, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return new Set(JSON.parse(out) as string[]);
  } catch (error) {
    console.warn(`training lines of ${modelId} unavailable (${(error as Error).message.split('\n')[0]}): the Debian data packages of models/README.md are needed`);
    return null;
  }
}

async function runModel(modelId: string, set: QualitySet, embedder: OnnxEmbeddingBackend) {
  const config = loadConfig({});
  const modelDir = resolve(MODELS_DIR, modelId);
  const { contentHash } = await hashModelFolder(modelDir);
  const backend = await OnnxChatBackend.load({ modelId, modelHash: contentHash, modelDir, threads: 1, intraOpThreads: 1 });
  const eosId = (JSON.parse(readFileSync(resolve(modelDir, 'generation_config.json'), 'utf8')) as { eos_token_id: number }).eos_token_id;
  const { visibility: _visibility, ...definition } = DEMO_PERSONA;
  const persona = personaDefinitionSchema.parse({ ...definition, defaultModel: modelId });
  const memoriesOf = new Map<string, StoredMemory[]>();
  const replies: ScoredReply[] = [];
  let memoryId = 0;

  for (const [conversationIndex, conversation] of set.conversations.entries()) {
    const memories = memoriesOf.get(conversation.user) ?? [];
    memoriesOf.set(conversation.user, memories);
    const history: { role: 'user' | 'assistant'; content: string }[] = persona.greeting ? [{ role: 'assistant', content: persona.greeting }] : [];
    for (const [messageIndex, message] of conversation.messages.entries()) {
      const [query] = await embedder.embed([message.text]);
      const nearest: PromptMemory[] = memories
        .map((memory) => ({ id: memory.id, kind: memory.kind, content: memory.content, contentHash: memory.id, distance: cosineDistance(query!, memory.embedding), createdAt: new Date(0) }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, config.turns.memoryTopK);
      const params = { ...persona.generation, seed: 1000 * conversationIndex + messageIndex + 1 };
      const assembled = assemblePrompt({
        persona,
        memories: nearest,
        history: history.slice(-config.turns.historyMaxMessages),
        userText: message.text,
        tokenBudget: Math.min(config.turns.promptTokenBudget, backend.contextWindow - params.maxTokens - CHAT_TEMPLATE_RESERVE),
        countTokens: (text) => backend.countTokens(text),
      });
      let reply = '';
      let trace: GenerationTrace | null = null;
      for await (const token of backend.generate(assembled.prompt, params, new AbortController().signal, (t) => (trace = t))) reply += token.text;
      const outputIds = (trace as GenerationTrace | null)?.outputTokenIds ?? [];
      reply = reply.trim();
      replies.push({
        user: conversation.user,
        text: message.text,
        tag: message.tag,
        expects: message.expects,
        expectsUnknown: message.expectsUnknown,
        reply,
        endedTurn: outputIds.at(-1) === eosId,
        promptText: assembled.prompt.messages.map((m) => m.content).join('\n'),
        memoriesInPrompt: assembled.memoryIds.length,
      });

      // What the turn runner stores after the turn: the user message, the reply and the facts, one fact per slot.
      const facts = extractFacts(message.text);
      const [userEmbedding, replyEmbedding, ...factEmbeddings] = await embedder.embed([message.text, reply, ...facts]);
      memories.push({ id: `m${++memoryId}`, kind: 'user_message', content: message.text, embedding: userEmbedding! });
      memories.push({ id: `m${++memoryId}`, kind: 'assistant_reply', content: reply, embedding: replyEmbedding! });
      facts.forEach((fact, index) => {
        const slot = factSlot(fact);
        if (slot) {
          const earlier = memories.findIndex((memory) => memory.kind === 'fact' && factSlot(memory.content)?.key === slot.key);
          if (earlier >= 0) memories.splice(earlier, 1);
        }
        memories.push({ id: `m${++memoryId}`, kind: 'fact', content: fact, embedding: factEmbeddings[index]! });
      });
      history.push({ role: 'user', content: message.text }, { role: 'assistant', content: reply });
    }
  }
  await backend.close();
  return replies;
}

async function main() {
  const modelIds = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const models = modelIds.length > 0 ? modelIds : ['doppel-nano-chat', 'doppel-mini-chat', 'doppel-mini-chat-2'];
  const set = JSON.parse(readFileSync(resolve(__dirname, 'chat-quality-set.json'), 'utf8')) as QualitySet;
  const embedDir = resolve(MODELS_DIR, 'doppel-embed-small');
  const embedder = await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: (await hashModelFolder(embedDir)).contentHash, modelDir: embedDir, dimensions: 100, intraOpThreads: 1 });
  const dictionary = new Set(englishWords);
  const results: Record<string, unknown> = {};
  const table: Record<string, ReturnType<typeof replyMetrics>> = {};
  for (const modelId of models) {
    const started = Date.now();
    const replies = await runModel(modelId, set, embedder);
    const metrics = replyMetrics(replies, dictionary, trainingLines(modelId));
    table[modelId] = metrics;
    results[modelId] = { seconds: (Date.now() - started) / 1000, metrics, transcript: replies.map(({ promptText: _prompt, ...rest }) => rest) };
  }
  await embedder.close();
  const path = await writeResult('chat-quality', {
    machine: machine(),
    set: { conversations: set.conversations.length, userMessages: set.conversations.reduce((sum, c) => sum + c.messages.length, 0) },
    targets: { englishWordShare: 0.97, completeSentenceShare: 0.9, distinct2: 0.5 },
    models: results,
  });

  const rows: [string, (m: ReturnType<typeof replyMetrics>) => string][] = [
    ['replies', (m) => String(m.replies)],
    ['English-word share (target >= 0.97)', (m) => m.englishWordShare.toFixed(3)],
    ['complete-sentence share (target >= 0.9)', (m) => m.completeSentenceShare.toFixed(3)],
    ['distinct-2 (target >= 0.5)', (m) => m.distinct2.toFixed(3)],
    ['distinct-1', (m) => m.distinct1.toFixed(3)],
    ['verbatim training-line repeats', (m) => (m.verbatimTrainingRepeatShare === null ? 'n/a' : m.verbatimTrainingRepeatShare.toFixed(3))],
    ['remembered fact used (recall asks)', (m) => `${m.recall.used}/${m.recall.asked}`],
    ['"not told me" when the fact is unknown', (m) => `${m.unknownRecall.honest}/${m.unknownRecall.asked}`],
    ['persona facts used (persona asks)', (m) => `${m.persona.used}/${m.persona.asked}`],
    ['stated fact acknowledged', (m) => `${m.acknowledged.used}/${m.acknowledged.asked}`],
    ['greets back (greeting messages)', (m) => `${m.greetsBack.used}/${m.greetsBack.asked}`],
    ['words not in the list: capitalised / other', (m) => `${m.unknownWordCounts.capitalised} / ${m.unknownWordCounts.other}`],
    ['turn ended by the model (eos)', (m) => m.endedTurnShare.toFixed(3)],
    ['mean words per reply', (m) => m.meanWords.toFixed(1)],
  ];
  console.log(`${''.padEnd(42)}${models.map((id) => id.padStart(20)).join('')}`);
  for (const [label, value] of rows) console.log(`${label.padEnd(42)}${models.map((id) => value(table[id]!).padStart(20)).join('')}`);
  for (const id of models) console.log(`${id} words not in the list: ${table[id]!.unknownWords.slice(0, 25).join(', ') || '(none)'}`);
  console.log(`results written to ${path}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
