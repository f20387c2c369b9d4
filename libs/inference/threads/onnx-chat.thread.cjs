// Worker thread that owns one copy of an ONNX chat model (onnxruntime-node through @huggingface/transformers).
// onnxruntime's session.run() blocks the event loop, so it runs here and never on the node's main thread.
// Requests are served one at a time: the sampler's seeded RNG is per thread, which keeps generation reproducible.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

let lib; // @huggingface/transformers, loaded lazily (it is an ES module)
let tokenizer;
let model;
let queue = Promise.resolve();

async function load() {
  lib = await import('@huggingface/transformers');
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  const options = { local_files_only: true };
  tokenizer = await lib.AutoTokenizer.from_pretrained(workerData.modelDir, options);
  if (!tokenizer.chat_template) throw new Error(`tokenizer_config.json in ${workerData.modelDir} has no chat_template`);
  model = await lib.AutoModelForCausalLM.from_pretrained(workerData.modelDir, {
    ...options,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: workerData.intraOpThreads, interOpNumThreads: 1 },
  });
}

/** Streams the text of newly generated ids; waits while a multi-byte character is incomplete. */
function createStreamer(requestId) {
  const generated = [];
  let emittedLength = 0;
  let sawPrompt = false;
  const streamer = Object.create(lib.BaseStreamer.prototype);
  streamer.put = (value) => {
    if (!sawPrompt) {
      sawPrompt = true;
      return;
    }
    for (const row of value) for (const id of row) generated.push(Number(id));
    const text = tokenizer.decode(generated, { skip_special_tokens: true });
    if (text.length > emittedLength && !text.endsWith('\uFFFD')) {
      parentPort.postMessage({ type: 'token', requestId, text: text.slice(emittedLength), tokenId: generated[generated.length - 1] });
      emittedLength = text.length;
    }
  };
  streamer.end = () => {};
  return { streamer, generated };
}

/** apply_chat_template answers with ids, a nested list, or { input_ids } depending on options and version. */
function toIdList(templated) {
  const ids = templated && !Array.isArray(templated) && 'input_ids' in templated ? templated.input_ids : templated;
  const list = ids && typeof ids.tolist === 'function' ? ids.tolist() : ids;
  const flat = Array.isArray(list) && Array.isArray(list[0]) ? list[0] : list;
  return Array.from(flat ?? [], Number);
}

async function generate(request) {
  const { requestId, messages, params, abortFlag, contextWindow } = request;
  const aborted = new Int32Array(abortFlag);
  let promptIds = toIdList(tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: true, return_tensor: false }));
  if (promptIds.length === 0) throw new Error('the chat template produced an empty prompt');
  // Context policy: never exceed the window. Keep room for the reply; drop the oldest prompt tokens if still too long.
  const maxNewTokens = Math.max(1, Math.min(params.maxTokens, contextWindow - 1));
  const room = contextWindow - maxNewTokens;
  const truncatedTokens = Math.max(0, promptIds.length - room);
  if (truncatedTokens > 0) promptIds = promptIds.slice(truncatedTokens);

  const inputIds = new lib.Tensor('int64', BigInt64Array.from(promptIds.map(BigInt)), [1, promptIds.length]);
  const attentionMask = new lib.Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
  const abortCriteria = new lib.InterruptableStoppingCriteria();
  abortCriteria._call = (ids) => new Array(ids.length).fill(Atomics.load(aborted, 0) === 1);
  const { streamer, generated } = createStreamer(requestId);

  lib.random.seed(params.seed);
  await model.generate({
    inputs: inputIds,
    attention_mask: attentionMask,
    max_new_tokens: maxNewTokens,
    do_sample: params.temperature > 0,
    temperature: params.temperature > 0 ? params.temperature : 1,
    top_k: params.topK,
    top_p: params.topP,
    repetition_penalty: params.repetitionPenalty,
    streamer,
    stopping_criteria: [abortCriteria],
  });
  parentPort.postMessage({ type: 'done', requestId, promptTokenIds: promptIds, outputTokenIds: generated, truncatedTokens });
}

parentPort.on('message', (request) => {
  if (request.type !== 'generate') return;
  queue = queue.then(() =>
    generate(request).catch((error) => parentPort.postMessage({ type: 'error', requestId: request.requestId, message: error?.message ?? String(error) })),
  );
});

load().then(
  () => parentPort.postMessage({ type: 'ready' }),
  (error) => parentPort.postMessage({ type: 'load-error', message: error?.message ?? String(error) }),
);
