// Speed of the shipped ONNX models on this machine: load time, chat TTFT and tokens/s (1 and 4 streams on one
// node) for each chat model (the default doppel-mini-chat-2 and the earlier doppel-mini-chat and doppel-nano-chat), embedding sentences/s
// (single and batched), peak RSS. Prints a table and writes results/models.json.
//   npm run bench:models
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OnnxChatBackend, OnnxEmbeddingBackend, type GenerationTrace } from '@doppel/inference';
import { hashModelFolder } from '@doppel/models';
import { machine, median, writeResult } from './bench-support';

const MODELS_DIR = resolve(__dirname, '../../models');
const CHAT_MODELS = ['doppel-mini-chat-2', 'doppel-mini-chat', 'doppel-nano-chat'];
const PROMPTS = ['Tell me about the sea.', 'What do you do on a rainy day?', 'Any advice for a new job?', 'Describe your home town.'];

async function timedStream(backend: OnnxChatBackend, prompt: string, seed: number) {
  const started = performance.now();
  let firstTokenAt = 0;
  let trace: GenerationTrace | null = null;
  const params = { maxTokens: 128, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [], seed };
  for await (const _token of backend.generate({ messages: [{ role: 'user', content: prompt }] }, params, new AbortController().signal, (t) => (trace = t))) {
    firstTokenAt ||= performance.now();
  }
  const finished = performance.now();
  const outputTokens = (trace as GenerationTrace | null)?.outputTokenIds.length ?? 0;
  return { ttftMs: firstTokenAt - started, outputTokens, tokensPerSecond: outputTokens / ((finished - started) / 1000), totalMs: finished - started };
}

async function chatBench(modelId: string, threads: number) {
  const modelDir = resolve(MODELS_DIR, modelId);
  const { contentHash } = await hashModelFolder(modelDir);
  const loadStarted = performance.now();
  const backend = await OnnxChatBackend.load({ modelId, modelHash: contentHash, modelDir, threads, intraOpThreads: 1 });
  const loadMs = performance.now() - loadStarted;
  await timedStream(backend, 'warm up', 1);
  const single = [];
  for (let run = 0; run < 8; run++) single.push(await timedStream(backend, PROMPTS[run % PROMPTS.length]!, run));
  const concurrentRuns = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    const streams = await Promise.all(PROMPTS.map((prompt, index) => timedStream(backend, prompt, 100 + round * 4 + index)));
    const wallSeconds = (performance.now() - started) / 1000;
    concurrentRuns.push({
      aggregateTokensPerSecond: streams.reduce((sum, stream) => sum + stream.outputTokens, 0) / wallSeconds,
      medianTtftMs: median(streams.map((stream) => stream.ttftMs)),
    });
  }
  await backend.close();
  return {
    modelId,
    threads,
    loadMs,
    single: {
      medianTtftMs: median(single.map((run) => run.ttftMs)),
      medianTokensPerSecond: median(single.map((run) => run.tokensPerSecond)),
      medianOutputTokens: median(single.map((run) => run.outputTokens)),
    },
    fourConcurrent: {
      medianAggregateTokensPerSecond: median(concurrentRuns.map((run) => run.aggregateTokensPerSecond)),
      medianTtftMs: median(concurrentRuns.map((run) => run.medianTtftMs)),
    },
  };
}

async function embedBench() {
  const modelDir = resolve(MODELS_DIR, 'doppel-embed-small');
  const { contentHash } = await hashModelFolder(modelDir);
  const loadStarted = performance.now();
  const backend = await OnnxEmbeddingBackend.load({ modelId: 'doppel-embed-small', modelHash: contentHash, modelDir, dimensions: 100, intraOpThreads: 1 });
  const loadMs = performance.now() - loadStarted;
  const sentences = Array.from({ length: 4096 }, (_, i) => `My neighbour number ${i} keeps ${i % 7} cats and walks to the market every ${['morning', 'evening', 'weekend'][i % 3]}.`);
  await backend.embed(sentences.slice(0, 64));
  const singleRates = [];
  const batchedRates = [];
  for (let round = 0; round < 3; round++) {
    let started = performance.now();
    for (const sentence of sentences.slice(0, 300)) await backend.embed([sentence]);
    singleRates.push(300 / ((performance.now() - started) / 1000));
    started = performance.now();
    for (let offset = 0; offset < sentences.length; offset += 128) await backend.embed(sentences.slice(offset, offset + 128));
    batchedRates.push(sentences.length / ((performance.now() - started) / 1000));
  }
  await backend.close();
  return { loadMs, singleSentencesPerSecond: median(singleRates), batchedSentencesPerSecond: median(batchedRates), batchSize: 128 };
}

async function main() {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const chat = [];
  for (const modelId of CHAT_MODELS) chat.push(await chatBench(modelId, 1), await chatBench(modelId, 2));
  const embedding = await embedBench();
  clearInterval(sampler);
  const result = {
    machine: machine(),
    chat,
    embedding,
    peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    targets: { chatTokensPerSecondSingle: 150, chatTtftMsSingle: 50, embedBatchedSentencesPerSecond: 2000 },
  };
  const path = await writeResult('models', result);
  const line = (label: string, value: number, unit: string) => console.log(`${label.padEnd(46)} ${value.toFixed(1).padStart(9)} ${unit}`);
  for (const chat of result.chat) {
    const name = chat.modelId.replace(/^doppel-/, '');
    line(`${name} load (${chat.threads} thread(s))`, chat.loadMs, 'ms');
    if (chat.threads === 1) {
      line(`${name} single stream TTFT, median`, chat.single.medianTtftMs, 'ms');
      line(`${name} single stream tokens/s, median`, chat.single.medianTokensPerSecond, 'tok/s');
    }
    line(`${name} 4 streams, ${chat.threads} thread(s): aggregate tokens/s`, chat.fourConcurrent.medianAggregateTokensPerSecond, 'tok/s');
    line(`${name} 4 streams, ${chat.threads} thread(s): TTFT median`, chat.fourConcurrent.medianTtftMs, 'ms');
  }
  line('embed-small load', embedding.loadMs, 'ms');
  line('embed-small single sentences/s, median', embedding.singleSentencesPerSecond, 'sent/s');
  line('embed-small batched (128) sentences/s, median', embedding.batchedSentencesPerSecond, 'sent/s');
  line('peak RSS (both models loaded)', result.peakRssMiB, 'MiB');
  console.log(`results written to ${path}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
