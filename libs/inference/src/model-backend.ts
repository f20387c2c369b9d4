// The seam every model sits behind. The worker only ever talks to these two interfaces.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Structured, so each backend renders it with its own chat template. */
export interface ChatPrompt {
  messages: ChatMessage[];
}

export interface SamplingParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  repetitionPenalty: number;
  stop: string[];
  /** Same model + prompt + params + seed → same tokens, on any node. */
  seed: number;
}

export interface GeneratedToken {
  text: string;
  /** The model's token id, where the backend has a vocabulary. */
  tokenId?: number;
}

export interface ModelIdentity {
  /** Stable name, e.g. "synthetic" or "doppel-nano-chat". */
  readonly modelId: string;
  /** sha256 (hex) of what determines the model's output: weights and tokenizer, or the generator's settings. */
  readonly modelHash: string;
}

export interface ChatModelBackend extends ModelIdentity {
  countTokens(text: string): number;
  generate(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal): AsyncIterable<GeneratedToken>;
}

export interface EmbeddingBackend extends ModelIdentity {
  readonly dimensions: number;
  /** One L2-normalised vector per input text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

export const CHAT_MODEL = Symbol('CHAT_MODEL');
export const EMBEDDING_MODEL = Symbol('EMBEDDING_MODEL');
