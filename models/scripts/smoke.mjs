// Smoke test of the shipped models through @huggingface/transformers, from the local folders, with no network:
// mini-chat-2, mini-chat and nano-chat (chat template, KV-cache generation checked against the PyTorch reference, seeded sampling
// twice) and embed-small (feature extraction, 100-dim unit vectors, paraphrase recall@1).
// Run from the repository root: node models/scripts/smoke.mjs [mini2|mini|nano|embed]
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, AutoTokenizer, AutoModelForCausalLM, TextStreamer, pipeline, random } from '@huggingface/transformers';

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
env.allowRemoteModels = false;
env.localModelPath = modelsDir;
const local = { local_files_only: true, dtype: 'fp32' };

async function readJson(relativePath) {
  return JSON.parse(await readFile(join(modelsDir, relativePath), 'utf8'));
}

function check(condition, message) {
  console.log(`${condition ? 'PASS' : 'FAIL'} ${message}`);
  if (!condition) process.exitCode = 1;
}

/** Every greedy reference of the build report: the ONNX graph with its KV cache must give the PyTorch ids. */
async function checkGreedyReferences(tokenizer, model, checks) {
  const eosId = model.generation_config.eos_token_id;
  for (const reference of checks) {
    const inputs = tokenizer.apply_chat_template(reference.messages, { add_generation_prompt: true, return_dict: true });
    const promptIds = Array.from(inputs.input_ids.data, Number);
    check(JSON.stringify(promptIds) === JSON.stringify(reference.prompt_ids), `prompt tokens equal the Python tokenizer's (${promptIds.length} tokens)`);
    const greedy = await model.generate({ ...inputs, max_new_tokens: 64, do_sample: false, repetition_penalty: 1.0 });
    const greedyIds = Array.from(greedy.data, Number).slice(promptIds.length);
    check(JSON.stringify(greedyIds) === JSON.stringify(reference.greedy_reply_ids), `greedy ids equal the PyTorch reference for ${JSON.stringify(reference.messages.at(-1).content)}`);
    check(greedyIds.at(-1) === eosId, `greedy reply ends with eos ${eosId}: ${JSON.stringify(tokenizer.decode(greedyIds, { skip_special_tokens: true }))}`);
  }
}

async function smokeMiniChat(modelId, reportPath) {
  console.log(`== ${modelId}`);
  const tokenizer = await AutoTokenizer.from_pretrained(modelId, local);
  const model = await AutoModelForCausalLM.from_pretrained(modelId, local);
  const report = await readJson(reportPath);
  await checkGreedyReferences(tokenizer, model, report.greedy_checks);
  const inputs = tokenizer.apply_chat_template(report.greedy_checks[1].messages, { add_generation_prompt: true, return_dict: true });
  const runs = [];
  for (let run = 0; run < 2; run++) {
    random.seed(42);
    const output = await model.generate({ ...inputs, max_new_tokens: 64, do_sample: true, temperature: 0.8, top_k: 40, top_p: 0.95, repetition_penalty: 1.1 });
    runs.push(tokenizer.decode(Array.from(output.data, Number).slice(inputs.input_ids.dims[1]), { skip_special_tokens: true }));
    console.log(`sampled (seed 42, run ${run + 1}): ${JSON.stringify(runs[run])}`);
  }
  check(runs[0] === runs[1], 'two sampled runs with random.seed(42) are identical');
}

async function smokeChat() {
  console.log('== doppel-nano-chat');
  const tokenizer = await AutoTokenizer.from_pretrained('doppel-nano-chat', local);
  const model = await AutoModelForCausalLM.from_pretrained('doppel-nano-chat', local);
  const eosId = model.generation_config.eos_token_id;
  const report = await readJson('eval/nano-chat-report.json');
  const reference = report.greedy_checks[0];
  const messages = reference.messages;

  const promptText = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false });
  console.log(`prompt: ${JSON.stringify(promptText)}`);
  const inputs = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true });
  const promptIds = Array.from(inputs.input_ids.data, Number);
  check(JSON.stringify(promptIds) === JSON.stringify(reference.prompt_ids), `prompt tokens equal the Python tokenizer's (${promptIds.length} tokens)`);

  // repetition_penalty 1: generation_config.json's defaults (1.1) would apply otherwise; the reference is plain argmax.
  const greedy = await model.generate({ ...inputs, max_new_tokens: 48, do_sample: false, repetition_penalty: 1.0, return_dict_in_generate: true });
  const greedyIds = Array.from(greedy.sequences.data, Number).slice(promptIds.length);
  const cacheKey = greedy.past_key_values['past_key_values.0.key'] ?? greedy.past_key_values['present.0.key'];
  console.log(`KV cache after generate: ${Object.keys(greedy.past_key_values).length} tensors, layer 0 key dims [${cacheKey?.dims}]`);
  check(JSON.stringify(greedyIds) === JSON.stringify(reference.greedy_reply_ids), 'greedy ids (ONNX + KV cache) equal the PyTorch reference');
  check(greedyIds.at(-1) === eosId, `greedy reply ends with eos ${eosId}`);
  console.log(`greedy reply: ${JSON.stringify(tokenizer.decode(greedyIds, { skip_special_tokens: true }))}`);
  await greedy.past_key_values.dispose?.();

  const sampled = [];
  for (let run = 0; run < 2; run++) {
    let streamed = '';
    const streamer = new TextStreamer(tokenizer, { skip_prompt: true, skip_special_tokens: true, callback_function: (text) => { streamed += text; } });
    random.seed(42);
    const output = await model.generate({ ...inputs, max_new_tokens: 48, do_sample: true, temperature: 0.8, top_k: 40, streamer });
    const ids = Array.from(output.data, Number).slice(promptIds.length);
    sampled.push({ ids, streamed, text: tokenizer.decode(ids, { skip_special_tokens: true }) });
    console.log(`sampled (seed 42, run ${run + 1}): ${JSON.stringify(streamed)}${ids.at(-1) === eosId ? ' <eos>' : ' (no eos)'}`);
  }
  check(JSON.stringify(sampled[0].ids) === JSON.stringify(sampled[1].ids), 'two sampled runs with random.seed(42) are identical');
  check(sampled[0].streamed.trim() === sampled[0].text.trim(), 'streamed text equals the decoded reply');

  const conversation = [
    { role: 'system', content: 'You are a cheerful companion. Be kind and brief.' },
    { role: 'user', content: 'Tell me a fortune.' },
  ];
  let endedWithEos = 0;
  const prompts = ['Tell me a fortune.', 'What do you think about money?', 'Any advice about work?', 'Say something funny.'];
  random.seed(7);
  for (const prompt of prompts) {
    conversation[1].content = prompt;
    const turn = tokenizer.apply_chat_template(conversation, { add_generation_prompt: true, return_dict: true });
    const output = await model.generate({ ...turn, max_new_tokens: 64, do_sample: true, temperature: 0.7, top_k: 40, repetition_penalty: 1.1 });
    const ids = Array.from(output.data, Number).slice(turn.input_ids.dims[1]);
    if (ids.at(-1) === eosId) endedWithEos++;
    console.log(`user: ${prompt}\n  assistant: ${tokenizer.decode(ids, { skip_special_tokens: true })}`);
  }
  check(endedWithEos >= prompts.length - 1, `${endedWithEos}/${prompts.length} sampled replies stopped at eos within 64 tokens`);
}

function cosineRows(a, b) {
  return a.map((row) => b.map((other) => row.reduce((sum, value, i) => sum + value * other[i], 0)));
}

async function smokeEmbed() {
  console.log('== doppel-embed-small');
  const extractor = await pipeline('feature-extraction', 'doppel-embed-small', local);
  const probe = await extractor(['My daughter plays the cello', 'qwzx vbnm', ''], { pooling: 'mean', normalize: true });
  const norms = probe.tolist().map((row) => Math.hypot(...row));
  check(probe.dims[1] === 100, `output dims [${probe.dims}]`);
  check(norms.every((n) => Math.abs(n - 1) < 1e-4), `unit norms, also for unknown-only and empty text: ${norms.map((n) => n.toFixed(4)).join(', ')}`);

  const pairs = await readJson('eval/paraphrases.json');
  const facts = (await extractor(pairs.map((p) => p.fact), { pooling: 'mean', normalize: true })).tolist();
  const questions = (await extractor(pairs.map((p) => p.question), { pooling: 'mean', normalize: true })).tolist();
  const scores = cosineRows(questions, facts);
  const ranks = scores.map((row, i) => row.filter((s) => s > row[i]).length + row.filter((s) => s === row[i]).length);
  const recallAt1 = ranks.filter((r) => r === 1).length / ranks.length;
  const mrr = ranks.reduce((sum, r) => sum + 1 / r, 0) / ranks.length;
  const expected = (await readJson('eval/embed-report.json'))['doppel-embed-small (shipped)'];
  console.log(`paraphrase retrieval in Node: recall@1 ${recallAt1.toFixed(3)}, MRR ${mrr.toFixed(3)} over ${pairs.length} pairs`);
  check(Math.abs(recallAt1 - expected['recall@1']) < 1e-3, `recall@1 equals the Python evaluation (${expected['recall@1']})`);
  const [cello, instrument, coffee] = (await extractor(['My daughter plays the cello in an orchestra', 'What instrument does my kid perform?', 'I drink three cups of coffee a day'], { pooling: 'mean', normalize: true })).tolist();
  const dot = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0);
  console.log(`cos(cello fact, instrument question) ${dot(cello, instrument).toFixed(3)} vs cos(coffee fact, instrument question) ${dot(coffee, instrument).toFixed(3)}`);
}

const only = process.argv[2]; // 'mini2', 'mini', 'nano' or 'embed' runs one part
if (!only || only === 'mini2') await smokeMiniChat('doppel-mini-chat-2', 'eval/mini-chat-2-report.json');
if (!only || only === 'mini') await smokeMiniChat('doppel-mini-chat', 'eval/mini-chat-report.json');
if (!only || only === 'nano') await smokeChat();
if (!only || only === 'embed') await smokeEmbed();
