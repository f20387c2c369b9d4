// Worker thread that owns an ONNX sentence encoder: feature extraction, mean pooling, L2 normalisation.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

let extractor;
let queue = Promise.resolve();

async function load() {
  const lib = await import('@huggingface/transformers');
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  extractor = await lib.pipeline('feature-extraction', workerData.modelDir, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: workerData.intraOpThreads, interOpNumThreads: 1 },
  });
}

async function embed({ requestId, texts }) {
  const output = await extractor(texts, { pooling: 'mean', normalize: true });
  const [count, dimensions] = output.dims;
  const data = Float32Array.from(output.data);
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
