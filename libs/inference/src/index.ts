export * from './model-backend';
export { SyntheticChatBackend, SyntheticFaultError, SYNTHETIC_MODEL_HASH, type SyntheticBackendOptions } from './synthetic-backend';
export { HashingEmbedder, hashingModelHash } from './hashing-embedder';
export { OnnxChatBackend, type OnnxChatOptions } from './onnx-chat-backend';
export { OnnxEmbeddingBackend } from './onnx-embedding-backend';
export { OpenAiChatBackend, UpstreamError, openAiModelHash } from './openai-chat-backend';
export { loadChatBackend, loadEmbeddingBackend, declaredModelHash, type ModelSpec, type BackendRuntime } from './load-backend';
export { countApproximateTokens } from './approximate-tokens';
export { StopSequenceFilter } from './stop-sequences';
