// Builds a backend from a registered model. Everything a node can serve goes through here.
import type { ChatModelBackend, EmbeddingBackend } from './model-backend';
import { HashingEmbedder, hashingModelHash } from './hashing-embedder';
import { OnnxChatBackend } from './onnx-chat-backend';
import { OnnxEmbeddingBackend } from './onnx-embedding-backend';
import { OpenAiChatBackend, openAiModelHash } from './openai-chat-backend';
import { SYNTHETIC_MODEL_HASH, SyntheticChatBackend, type SyntheticBackendOptions } from './synthetic-backend';

export interface ModelSpec {
  id: string;
  kind: 'chat' | 'embedding';
  backend: 'onnx' | 'openai' | 'synthetic' | 'hashing';
  /** onnx: absolute folder; openai: base URL; built-ins: unused. */
  location: string;
  parameters: Record<string, unknown>;
  contentHash: string;
  dimensions: number | null;
}

export interface BackendRuntime {
  synthetic: SyntheticBackendOptions;
  onnxChatThreads: number;
  onnxIntraOpThreads: number;
  env: NodeJS.ProcessEnv;
}

/** Content hash of a built-in or remote model, which the registry records without reading any file. */
export function declaredModelHash(spec: Pick<ModelSpec, 'backend' | 'location' | 'parameters' | 'dimensions'>): string | null {
  switch (spec.backend) {
    case 'synthetic':
      return SYNTHETIC_MODEL_HASH;
    case 'hashing':
      return hashingModelHash(spec.dimensions ?? 0);
    case 'openai':
      return openAiModelHash(spec.location, String(spec.parameters.upstreamModel ?? ''));
    case 'onnx':
      return null;
  }
}

export async function loadChatBackend(spec: ModelSpec, runtime: BackendRuntime): Promise<ChatModelBackend> {
  if (spec.kind !== 'chat') throw new Error(`model ${spec.id} is an ${spec.kind} model, not a chat model`);
  switch (spec.backend) {
    case 'synthetic':
      return new SyntheticChatBackend(runtime.synthetic);
    case 'onnx':
      return OnnxChatBackend.load({
        modelId: spec.id,
        modelHash: spec.contentHash,
        modelDir: spec.location,
        threads: runtime.onnxChatThreads,
        intraOpThreads: runtime.onnxIntraOpThreads,
      });
    case 'openai': {
      const apiKeyEnv = spec.parameters.apiKeyEnv as string | undefined;
      return new OpenAiChatBackend({
        modelId: spec.id,
        baseUrl: spec.location,
        upstreamModel: String(spec.parameters.upstreamModel),
        apiKey: apiKeyEnv ? runtime.env[apiKeyEnv] : undefined,
        timeoutMs: Number(spec.parameters.timeoutMs ?? 60_000),
        contextWindow: Number(spec.parameters.contextWindow ?? 8192),
      });
    }
    case 'hashing':
      throw new Error(`model ${spec.id}: the hashing backend only embeds`);
  }
}

export async function loadEmbeddingBackend(spec: ModelSpec, runtime: BackendRuntime): Promise<EmbeddingBackend> {
  if (spec.kind !== 'embedding' || spec.dimensions === null) throw new Error(`model ${spec.id} is not an embedding model`);
  switch (spec.backend) {
    case 'hashing':
      return new HashingEmbedder(spec.dimensions);
    case 'onnx':
      return OnnxEmbeddingBackend.load({
        modelId: spec.id,
        modelHash: spec.contentHash,
        modelDir: spec.location,
        dimensions: spec.dimensions,
        intraOpThreads: runtime.onnxIntraOpThreads,
      });
    default:
      throw new Error(`model ${spec.id}: the ${spec.backend} backend does not embed`);
  }
}
