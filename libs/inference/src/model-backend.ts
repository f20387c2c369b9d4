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

/** The exact token ids of one generation, for reproducibility checks and receipts. */
export interface GenerationTrace {
  promptTokenIds: number[];
  outputTokenIds: number[];
  /** Prompt tokens dropped from the start to fit the context window (0 when none). */
  truncatedTokens: number;
}

export interface ChatModelBackend extends ModelIdentity {
  /** Tokens the model can attend to: prompt plus reply. */
  readonly contextWindow: number;
  countTokens(text: string): number;
  /** Backends with a tokenizer report the exact ids through `onTrace` once generation ends. */
  generate(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal, onTrace?: (trace: GenerationTrace) => void): AsyncIterable<GeneratedToken>;
  close?(): Promise<void>;
}

export interface EmbeddingBackend extends ModelIdentity {
  readonly dimensions: number;
  /** One L2-normalised vector per input text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

