// Worker thread that owns an ONNX sentence encoder: feature extraction, mean pooling, L2 normalisation.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { meanPooledUnitRows } = require('./sentence-pooling.cjs');

let lib;
let extractor;
let queue = Promise.resolve();

async function load() {
  lib = await import('@huggingface/transformers');
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  extractor = await lib.pipeline('feature-extraction', workerData.modelDir, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: workerData.intraOpThreads, interOpNumThreads: 1 },
  });
}

// The pipeline's own steps (tokenize, run), then its pooling, done by sentence-pooling.cjs for float32 token vectors
// (the same numbers, at a fraction of the CPU); any other output goes through transformers.js's pooling.
async function embed({ requestId, texts }) {
  const inputs = extractor.tokenizer(texts, { padding: true, truncation: true });
  const outputs = await extractor.model(inputs);
  const hidden = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
  if (hidden.type === 'float32' && hidden.dims.length === 3) {
    const [count, tokens, dimensions] = hidden.dims;
    return send(requestId, count, dimensions, meanPooledUnitRows(hidden.data, inputs.attention_mask.data, count, tokens, dimensions));
  }
  const pooled = lib.mean_pooling(hidden, inputs.attention_mask).normalize(2, -1);
  send(requestId, pooled.dims[0], pooled.dims[1], Float32Array.from(pooled.data));
}

function send(requestId, count, dimensions, data) {
  parentPort.postMessage({ type: 'done', requestId, count, dimensions, data }, [data.buffer]);
}

parentPort.on('message', (request) => {
  if (request.type !== 'embed') return;
  queue = queue.then(() =>
    embed(request).catch((error) => parentPort.postMessage({ type: 'error', requestId: request.requestId, message: error?.message ?? String(error) })),
  );
});

load().then(
  () => parentPort.postMessage({ type: 'ready' }),
  (error) => parentPort.postMessage({ type: 'load-error', message: error?.message ?? String(error) }),
);
