// The `synthetic` chat backend: a LOAD-TESTING backend, not a language model. It emits deterministic
// English-looking words derived from the prompt and seed, at a configured time to first token and token rate,
// so the runtime (queue, retrieval, streaming, storage) can be measured without a model's cost.
import { canonicalJson, sha256Hex } from '@doppel/protocol';
import { AbortableSleeper } from './abortable-sleep';
import { countApproximateTokens } from './approximate-tokens';
import type { ChatModelBackend, ChatPrompt, GeneratedToken, SamplingParams } from './model-backend';
import { seededRandom } from './seeded-random';
import { StopSequenceFilter } from './stop-sequences';

const WORDS = (
  'the a of and to in is it that you this was for on are with as I his they be at one have from or had by ' +
  'word but what some we can out other were all there when up use your how said an each she which do their time if ' +
  'will way about many then them write would like so these her long make thing see him two has look more day could go ' +
  'come did number sound no most people my over know water than call first who may down side been now find any new ' +
  'work part take get place made live where after back little only round man year came show every good me give our ' +
  'under name very through just form sentence great think say help low line differ turn cause much mean before move ' +
  'right boy old too same tell does set three want air well also play small end put home read hand port large spell ' +
  'add even land here must big high such follow act why ask men change went light kind off need house picture try us ' +
  'again animal point mother world near build self earth father head stand own page should country found answer school'
).split(' ');

const SYNTHETIC_VERSION = 1;

export interface SyntheticBackendOptions {
  ttftMs: number;
  tokensPerSecond: number;
  /** When the last user message contains this, the stream throws after a few tokens (fault injection). */
  faultTrigger?: string;
}

export class SyntheticFaultError extends Error {
  constructor() {
    super('synthetic backend: fault injected by SYNTHETIC_FAULT_TRIGGER');
    this.name = 'SyntheticFaultError';
  }
}

/** Timing settings do not change the tokens, so they are not part of the hash. */
export const SYNTHETIC_MODEL_HASH = sha256Hex(canonicalJson({ backend: 'synthetic', version: SYNTHETIC_VERSION, words: WORDS }));

export class SyntheticChatBackend implements ChatModelBackend {
  readonly modelId = 'synthetic';
  readonly modelHash = SYNTHETIC_MODEL_HASH;
  readonly contextWindow = 8192;

  constructor(private readonly options: SyntheticBackendOptions) {}

  countTokens(text: string): number {
    return countApproximateTokens(text);
  }

  async *generate(prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal): AsyncIterable<GeneratedToken> {
    const random = seededRandom(`${canonicalJson(prompt)}\u0000${params.seed}`);
    const length = Math.min(params.maxTokens, 12 + Math.floor(random() * 36));
    const lastUserText = [...prompt.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
    const injectFault = this.options.faultTrigger !== undefined && lastUserText.includes(this.options.faultTrigger);
    const interTokenMs = 1000 / this.options.tokensPerSecond;

    const sleeper = new AbortableSleeper(signal);
    try {
      await sleeper.sleep(this.options.ttftMs);
      const stops = new StopSequenceFilter(params.stop);
      for (let index = 0; index < length && !stops.isStopped; index++) {
        if (index > 0) await sleeper.sleep(interTokenMs);
        if (injectFault && index === 3) throw new SyntheticFaultError();
        const wordIndex = Math.floor(random() * WORDS.length);
        let word = WORDS[wordIndex]!;
        if (index === 0) word = word[0]!.toUpperCase() + word.slice(1);
        const text = stops.push((index === 0 ? '' : ' ') + word + (index === length - 1 ? '.' : ''));
        if (text) yield { text, tokenId: wordIndex };
      }
      const heldBack = stops.flush();
      if (heldBack) yield { text: heldBack };
    } finally {
      sleeper.close();
    }
  }
}
