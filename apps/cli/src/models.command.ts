import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';
import { loadChatBackend, type GenerationTrace } from '@doppel/inference';
import { ModelRegistry, ModelsRepository, verifyModelFiles } from '@doppel/models';
import { runHub } from './hub.command';

/** `models sync`: registers the built-in models and the project's shipped ONNX models, hashing their files. */
export async function runModels(config: AppConfig, args: string[]): Promise<void> {
  const [subcommand] = args;
  if (subcommand === 'hub') return runHub(config, args.slice(1));
  const db = createDatabase(config.databaseUrl, { maxConnections: 2 });
  try {
    const registry = new ModelRegistry(new ModelsRepository(db), config);
    if (subcommand === 'try') {
      await tryModel(registry, config, args.slice(1));
      return;
    }
    if (subcommand === 'sync') {
      await registry.syncBuiltIns((line) => console.log(`models: ${line}`));
    }
    for (const model of await registry.list()) {
      const size = model.files.reduce((total, file) => total + file.bytes, 0);
      console.log(
        `models: ${model.id.padEnd(20)} ${model.kind.padEnd(9)} ${model.backend.padEnd(9)} ${model.contentHash.slice(0, 16)}…` +
          (size ? ` ${(size / 1e6).toFixed(1)} MB` : '') +
          (model.dimensions ? ` ${model.dimensions}-d` : ''),
      );
    }
  } finally {
    await db.destroy();
  }
}

/**
 * `models try <id> [--seed N] [--max-tokens N] [--temperature T] <message…>`: one generation outside the runtime,
 * printed as JSON with the exact token ids. Two runs with the same seed print the same ids.
 */
async function tryModel(registry: ModelRegistry, config: AppConfig, args: string[]): Promise<void> {
  const [modelId, ...rest] = args;
  if (!modelId) throw new Error('usage: models try <model id> [--seed N] [--max-tokens N] [--temperature T] <message…>');
  const options = { seed: 0, maxTokens: 48, temperature: 0.8 };
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    if (flag === '--seed') options.seed = Number(rest[++i]);
    else if (flag === '--max-tokens') options.maxTokens = Number(rest[++i]);
    else if (flag === '--temperature') options.temperature = Number(rest[++i]);
    else words.push(flag);
  }
  const record = await registry.get(modelId);
  const spec = registry.toSpec(record);
  if (record.backend === 'onnx') await verifyModelFiles(modelId, spec.location, record.files);
  const backend = await loadChatBackend(spec, {
    synthetic: config.models.synthetic,
    onnxChatThreads: 1,
    onnxIntraOpThreads: config.models.onnxIntraOpThreads,
    env: process.env,
  });
  try {
    let text = '';
    let trace: GenerationTrace | null = null;
    const prompt = { messages: [{ role: 'user' as const, content: words.join(' ') || 'Hello!' }] };
    const params = { maxTokens: options.maxTokens, temperature: options.temperature, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [], seed: options.seed };
    for await (const token of backend.generate(prompt, params, new AbortController().signal, (generated) => (trace = generated))) text += token.text;
    console.log(JSON.stringify({ modelId, modelHash: backend.modelHash, seed: options.seed, text, trace }));
  } finally {
    await backend.close?.();
  }
}
