// Chat with a decoder-only model in the Hugging Face ONNX layout. Tokenizing for the prompt budget happens here;
// the model itself runs in worker threads (see threads/onnx-chat.thread.cjs).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatModelBackend, ChatPrompt, GeneratedToken, GenerationTrace, SamplingParams } from './model-backend';
import { ModelThreadPool, type ThreadMessage } from './model-threads';
import { StopSequenceFilter } from './stop-sequences';

export interface OnnxChatOptions {
  modelId: string;
  modelHash: string;
  modelDir: string;
  /** Copies of the model, each in its own thread: how many turns a node computes at once. */
  threads: number;
  /** onnxruntime intra-op threads per copy. Keep equal across nodes: it can change float rounding. */
  intraOpThreads: number;
}

interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

export class OnnxChatBackend implements ChatModelBackend {
  private constructor(
    readonly modelId: string,
    readonly modelHash: string,
    readonly contextWindow: number,
    private readonly tokenizer: Tokenizer,
    private readonly pool: ModelThreadPool,
  ) {}

  static async load(options: OnnxChatOptions): Promise<OnnxChatBackend> {
    const config = JSON.parse(await readFile(join(options.modelDir, 'config.json'), 'utf8')) as { max_position_embeddings?: number };
    const lib = await import('@huggingface/transformers');
    lib.env.allowRemoteModels = false;
    const tokenizer = (await lib.AutoTokenizer.from_pretrained(options.modelDir, { local_files_only: true })) as unknown as Tokenizer & { chat_template?: unknown };
    if (!tokenizer.chat_template) {
      throw new Error(`model ${options.modelId}: tokenizer_config.json has no chat_template, so turns cannot be formatted for it`);
    }
    const pool = await ModelThreadPool.start('onnx-chat.thread.cjs', options.threads, {
      modelDir: options.modelDir,
      intraOpThreads: options.intraOpThreads,
    });
    return new OnnxChatBackend(options.modelId, options.modelHash, config.max_position_embeddings ?? 2048, tokenizer, pool);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  generate(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal, trace?: (trace: GenerationTrace) => void): AsyncIterable<GeneratedToken> {
    return this.stream(prompt, params, signal, trace);
  }

  private async *stream(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal, trace?: (trace: GenerationTrace) => void): AsyncGenerator<GeneratedToken> {
    const abortFlag = new SharedArrayBuffer(4);
    const aborted = new Int32Array(abortFlag);
    const pending: ThreadMessage[] = [];
    let wake: (() => void) | null = null;
    const onAbort = () => Atomics.store(aborted, 0, 1);
    signal.addEventListener('abort', onAbort, { once: true });
    const handle = this.pool.request(
      { type: 'generate', messages: prompt.messages, params, abortFlag, contextWindow: this.contextWindow },
      (message) => {
        pending.push(message);
        wake?.();
      },
    );
    const stops = new StopSequenceFilter(params.stop);
    try {
      while (true) {
        if (pending.length === 0) await new Promise<void>((resolveWake) => (wake = resolveWake));
        wake = null;
        const message = pending.shift()!;
        if (message.type === 'token') {
          if (signal.aborted) throw signal.reason ?? new Error('aborted');
          const text = stops.push(message.text as string);
          if (text) yield { text, tokenId: message.tokenId as number };
          // Tell the thread to stop computing: the rest would be cut anyway.
          if (stops.isStopped) Atomics.store(aborted, 0, 1);
        } else if (message.type === 'done') {
          if (signal.aborted) throw signal.reason ?? new Error('aborted');
          const heldBack = stops.flush();
          if (heldBack) yield { text: heldBack };
          trace?.({
            promptTokenIds: message.promptTokenIds as number[],
            outputTokenIds: message.outputTokenIds as number[],
            truncatedTokens: message.truncatedTokens as number,
          });
          return;
        } else if (message.type === 'error') {
          throw new Error(`model ${this.modelId}: ${message.message}`);
        }
      }
    } finally {
      Atomics.store(aborted, 0, 1);
      signal.removeEventListener('abort', onAbort);
      handle.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
