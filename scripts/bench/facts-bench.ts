// The fact extractor and its deduplication, measured:
// 1. quality on a labelled set of user messages (precision and recall of extracted facts, exact text);
// 2. speed (median microseconds per message);
// 3. whether FACT_DEDUP_MAX_DISTANCE separates a restated fact (must be deduplicated) from a different fact of the
//    same shape (must be kept), for the hashing baseline and doppel-embed-small. Writes results/facts.json.
//   npm run bench:facts
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { loadConfig } from '@doppel/config';
import { HashingEmbedder, OnnxEmbeddingBackend, type EmbeddingBackend } from '@doppel/inference';
import { extractFacts, isRestatement } from '@doppel/memory';
import { hashModelFolder } from '@doppel/models';
import { machine, median, writeResult } from './bench-support';

/** Messages a consumer might send, with the facts a careful reader would note (none for most small talk). */
const LABELLED: { message: string; facts: string[] }[] = [
  { message: 'Hi! My name is Ada and I live in Lisbon.', facts: ['Their name is Ada.', 'They live in Lisbon.'] },
  { message: "I'm 29 years old and I work as a nurse.", facts: ['They are 29 years old.', 'They work as a nurse.'] },
  { message: 'I love hiking in the mountains.', facts: ['They love hiking in the mountains.'] },
  { message: "I'm allergic to shellfish, so no paella for me.", facts: ['They are allergic to shellfish.'] },
  { message: 'My favorite book is Dune.', facts: ['Their favorite book is Dune.'] },
  { message: 'My dog is called Biscuit.', facts: ['Their dog is called Biscuit.'] },
  { message: 'I have two kids.', facts: ['They have two kids.'] },
  { message: "I'm from Nairobi but I live in Berlin now.", facts: ['They are from Nairobi.', 'They live in Berlin now.'] },
  { message: 'Please call me Sam.', facts: ['They like to be called Sam.'] },
  { message: 'I work at a small bakery downtown.', facts: ['They work at a small bakery downtown.'] },
  { message: 'I hate waking up early.', facts: ['They hate waking up early.'] },
  { message: 'I prefer tea over coffee.', facts: ['They prefer tea over coffee.'] },
  { message: "I'm a software engineer.", facts: ['They are a software engineer.'] },
  { message: 'My sister is a doctor in Oslo.', facts: ['Their sister is a doctor in Oslo.'] },
  { message: 'I enjoy playing chess on weekends.', facts: ['They enjoy playing chess on weekends.'] },
  { message: 'How are you today?', facts: [] },
  { message: 'What do you think about the weather?', facts: [] },
  { message: 'Tell me a story about dragons.', facts: [] },
  { message: 'If I lived in Paris I would eat croissants every day.', facts: [] },
  { message: "I don't like horror movies.", facts: [] },
  { message: "I'm a bit tired today.", facts: [] },
  { message: 'Do you live in a lighthouse?', facts: [] },
  { message: 'That sounds great, thanks!', facts: [] },
  { message: 'Can you remember my name?', facts: [] },
  { message: 'I think you are right about that.', facts: [] },
  { message: 'We went to the beach yesterday and it was lovely.', facts: [] },
  { message: 'My brother and I grew up on a farm.', facts: ['They grew up on a farm.'] },
  { message: 'I really like jazz, especially Coltrane.', facts: ['They like jazz.'] },
  { message: 'I moved to Canada last year.', facts: ['They moved to Canada last year.'] },
  { message: 'Sometimes I paint watercolours of birds.', facts: ['They paint watercolours of birds.'] },
  { message: 'I have been vegetarian for ten years.', facts: ['They have been vegetarian for ten years.'] },
  { message: 'My wife is Maria.', facts: ['Their wife is Maria.'] },
];

/** A fact stated again (must be recognised as known) and a different fact of the same shape (must be kept). */
const DEDUP_PAIRS: { first: string; again: string; different: string }[] = [
  { first: 'My name is Ada.', again: 'Hello again, my name is Ada!', different: 'My name is Adam.' },
  { first: 'I live in Lisbon.', again: 'I live in Lisbon now.', different: 'I live in Porto.' },
  { first: 'I work as a nurse.', again: 'I work as a nurse at the hospital.', different: 'I work as a pilot.' },
  { first: 'I love hiking.', again: 'I love hiking a lot!', different: 'I love cooking.' },
  { first: "I'm allergic to peanuts.", again: 'I am allergic to peanuts, sadly.', different: "I'm allergic to cats." },
  { first: 'My favorite color is green.', again: 'my favourite color is green', different: 'My favorite color is blue.' },
  { first: 'I have a dog.', again: 'I have a dog too.', different: 'I have a cat.' },
  { first: 'I prefer tea.', again: 'I prefer tea, really.', different: 'I prefer coffee.' },
];

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(normA * normB);
}

async function main() {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1/unused', MODELS_DIR: resolve(__dirname, '../../models') });
  const threshold = config.turns.factDedupMaxDistance;

  let truePositives = 0;
  let extracted = 0;
  let expected = 0;
  const misses: { message: string; expected: string[]; got: string[] }[] = [];
  for (const { message, facts } of LABELLED) {
    const got = extractFacts(message);
    extracted += got.length;
    expected += facts.length;
    const hits = got.filter((fact) => facts.includes(fact)).length;
    truePositives += hits;
    if (hits !== got.length || hits !== facts.length) misses.push({ message, expected: facts, got });
  }
  const quality = { messages: LABELLED.length, precision: truePositives / extracted, recall: truePositives / expected, mismatches: misses };

  const timings: number[] = [];
  for (let round = 0; round < 200; round++) {
    const started = performance.now();
    for (const { message } of LABELLED) extractFacts(message);
    timings.push(((performance.now() - started) * 1000) / LABELLED.length);
  }
  const speed = { medianMicrosecondsPerMessage: median(timings) };

  const embedDir = resolve(__dirname, '../../models/doppel-embed-small');
  const embedders: EmbeddingBackend[] = [
    new HashingEmbedder(384),
    await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: (await hashModelFolder(embedDir)).contentHash, modelDir: embedDir, dimensions: 100, intraOpThreads: 1 }),
  ];
  const dedup = [];
  for (const embedder of embedders) {
    const restated: number[] = [];
    const distinct: number[] = [];
    let restatedCaught = 0;
    let distinctKeptByRule = 0;
    for (const pair of DEDUP_PAIRS) {
      const [first, again, different] = [pair.first, pair.again, pair.different].map((message) => extractFacts(message)[0]!);
      const [firstVector, againVector, differentVector] = await embedder.embed([first, again, different]);
      restated.push(cosineDistance(firstVector!, againVector!));
      distinct.push(cosineDistance(firstVector!, differentVector!));
      // The runtime's rule (TurnRunner.newFacts): close by vector AND one restates the other.
      if (restated.at(-1)! <= threshold && isRestatement(again, first)) restatedCaught++;
      if (!(distinct.at(-1)! <= threshold && isRestatement(different, first))) distinctKeptByRule++;
    }
    const pairDistances = DEDUP_PAIRS.map((pair, index) => ({ first: pair.first, restated: restated[index], different: pair.different, distinct: distinct[index] }));
    dedup.push({
      pairDistances,
      model: embedder.modelId,
      threshold,
      restatedMaxDistance: Math.max(...restated),
      distinctMinDistance: Math.min(...distinct),
      vectorOnly: { restatedDeduplicated: restated.filter((distance) => distance <= threshold).length, distinctKept: distinct.filter((distance) => distance > threshold).length },
      withWordCheck: { restatedDeduplicated: restatedCaught, distinctKept: distinctKeptByRule },
      pairs: DEDUP_PAIRS.length,
    });
    await embedder.close?.();
  }

  const path = await writeResult('facts', { machine: machine(), quality, speed, dedup });
  console.log(`extraction: precision ${quality.precision.toFixed(3)}, recall ${quality.recall.toFixed(3)} over ${quality.messages} labelled messages`);
  for (const miss of misses) console.log(`  mismatch: ${JSON.stringify(miss.message)} expected ${JSON.stringify(miss.expected)} got ${JSON.stringify(miss.got)}`);
  console.log(`speed: ${speed.medianMicrosecondsPerMessage.toFixed(1)} µs per message (median of 200 rounds)`);
  for (const row of dedup) {
    console.log(
      `${row.model.padEnd(20)} restated max ${row.restatedMaxDistance.toFixed(3)}, distinct min ${row.distinctMinDistance.toFixed(3)}, threshold ${row.threshold}; ` +
        `vector only: ${row.vectorOnly.restatedDeduplicated}/${row.pairs} restated deduplicated, ${row.vectorOnly.distinctKept}/${row.pairs} distinct kept; ` +
        `with the word check: ${row.withWordCheck.restatedDeduplicated}/${row.pairs} and ${row.withWordCheck.distinctKept}/${row.pairs}`,
    );
  }
  console.log(`results written to ${path}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
