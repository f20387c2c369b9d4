export * from './model-backend';
export { SyntheticChatBackend, SyntheticFaultError, type SyntheticBackendOptions } from './synthetic-backend';
export { HashingEmbedder } from './hashing-embedder';
export { countApproximateTokens } from './approximate-tokens';
export { InferenceModule } from './inference.module';
export { StopSequenceFilter } from './stop-sequences';
